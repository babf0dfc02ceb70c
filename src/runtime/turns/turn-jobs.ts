/**
 * Turns as jobs (DESIGN §7): a reactor turns each UserMessagePosted into one job per turn (the job
 * id makes a re-delivered event harmless); workers run them; a sweep re-enqueues open turns whose
 * job is gone (the in-process queue loses its jobs when the process dies).
 */
import type pg from 'pg';
import { FORK_COPY } from '../../commands/chat/chat-fork.js';
import type { ChatEvent } from '../../events/chat-events.js';
import { asChatId, asTurnId } from '../../events/ids.js';
import type { Projection } from '../../projections/projection.js';
import { isConnectionError } from '../../dependency-errors.js';
import { Backoff, type LoopLog } from '../../retry-loop.js';
import type { JobQueue } from '../queue/job-queue.js';
import { subTurnId } from '../subagents/sub-chats.js';
import type { TurnRunner } from './turn-runner.js';

export const TURN_QUEUE = 'turns';

export interface TurnJob {
  readonly chatId: string;
  readonly turnId: string;
}

/** `wake`: a later job of the same turn (after an approval), which must not dedupe against the first */
export const turnJobId = (j: TurnJob, wake?: string) =>
  `turn-${j.chatId}-${j.turnId}${wake ? `-${wake}` : ''}`;

const JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delayMs: 1000 } } as const;

export function enqueueTurn(queue: JobQueue, job: TurnJob, wake?: string): Promise<string> {
  return queue.add(TURN_QUEUE, 'turn', job, { jobId: turnJobId(job, wake), ...JOB_OPTIONS });
}

/** A projection without tables: its "rows" are jobs; its checkpoint says which events were enqueued. */
export function turnReactor(queue: JobQueue): Projection {
  return {
    name: 'reactor_turns',
    version: 1,
    filter: { categories: ['chat'], eventTypes: ['UserMessagePosted', 'ToolApprovalDecided'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, events) {
      for (const e of events) {
        if (e.metadata[FORK_COPY] !== undefined) continue; // a fork's copy of turns that ended in the original
        const chatId = e.streamName.slice('chat-'.length);
        if (e.type === 'ToolApprovalDecided') {
          const d = (e as unknown as Extract<ChatEvent, { type: 'ToolApprovalDecided' }>).data;
          await enqueueTurn(queue, { chatId, turnId: d.turnId }, approvalWake(d.toolCallId));
          continue;
        }
        const d = (e as unknown as Extract<ChatEvent, { type: 'UserMessagePosted' }>).data;
        await enqueueTurn(queue, { chatId, turnId: d.turnId });
      }
    },
  };
}

export async function startTurnWorkers(
  queue: JobQueue,
  runner: TurnRunner,
  concurrency: number,
  outages: { readonly log?: LoopLog; readonly stop?: AbortSignal } = {},
): Promise<void> {
  await queue.process<TurnJob, void>(
    TURN_QUEUE,
    (job) =>
      throughOutages(() => runner.run(asChatId(job.data.chatId), asTurnId(job.data.turnId)), {
        ...outages,
        context: { loop: 'turn', turnId: job.data.turnId },
      }),
    {
      concurrency,
    },
  );
}

/**
 * Runs `attempt` again, with backoff, for as long as it fails because a dependency is down (the
 * turn resumes where its events say it is): an outage does not use up the job's retries, which
 * would leave the turn open with no job until a sweep. Any other failure, or a stop, ends it.
 */
export async function throughOutages<T>(
  attempt: () => Promise<T>,
  o: { readonly log?: LoopLog; readonly stop?: AbortSignal; readonly context: Record<string, unknown> },
): Promise<T> {
  const backoff = new Backoff(o.log, o.context);
  for (;;) {
    try {
      const result = await attempt();
      backoff.succeeded();
      return result;
    } catch (err) {
      if (!isConnectionError(err) || o.stop?.aborted) throw err;
      await backoff.failed(err, o.stop);
    }
  }
}

/** An open turn, with the calls whose end adds a job of it (an approval's decision, a sub-turn's end). */
interface OpenTurn {
  readonly chat_id: string;
  readonly turn_id: string;
  readonly approvals: string[];
  readonly delegations: string[];
}

/** Enqueues every open turn that has no live job and whose latest job failed (or that has none). */
export async function sweepOpenTurns(pool: pg.Pool, queue: JobQueue): Promise<number> {
  const { rows } = await pool
    .query<OpenTurn>(
      `SELECT t.chat_id, t.turn_id,
         coalesce(array_agg(c.tool_call_id) FILTER (WHERE c.requires_approval), '{}') AS approvals,
         coalesce(array_agg(c.tool_call_id) FILTER (WHERE c.target->>'family' = 'agent'), '{}') AS delegations
       FROM chat_turns t
       LEFT JOIN chat_tool_calls c ON c.chat_id = t.chat_id AND c.turn_id = t.turn_id
       WHERE t.status IN ('requested', 'running', 'tools')
       GROUP BY t.chat_id, t.turn_id, t.requested_at ORDER BY t.requested_at LIMIT 1000`,
    )
    .catch(() => ({ rows: [] as OpenTurn[] })); // read model not there yet, or the database down: the next sweep tries again
  let n = 0;
  for (const r of rows) {
    const job = { chatId: r.chat_id, turnId: r.turn_id };
    const wakes = [
      ...r.approvals.map(approvalWake),
      ...r.delegations.map((id) => subTurnWake(subTurnId(r.chat_id, id))),
    ];
    const wake = await revival(queue, job, wakes);
    if (wake === null) continue;
    await enqueueTurn(queue, job, wake);
    n++;
  }
  return n;
}

/** The job an approval's decision adds to its turn. */
export const approvalWake = (toolCallId: string) => `wake-${toolCallId}`;
/** The job a sub-turn's end adds to the turn that called it. */
export const subTurnWake = (subTurnId: string) => `sub-${subTurnId}`;

/** How many times a sweep starts a turn again whose latest job used up its retries. */
const MAX_REVIVALS = 20;

/**
 * Which job an open turn needs: null when one of its jobs is live, or its latest job (by when it
 * finished) did not fail; else the wake of the job to add (undefined: its first, when the queue
 * knows none of its jobs: the in-process queue lost them). A job that used up its retries while a
 * dependency was down (every attempt met the outage) leaves the turn open with a failed job — its
 * first, or a wake-up after an approval or a sub-agent — which a plain re-enqueue would deduplicate
 * forever: the sweep adds a revival instead, the next free number, so that every worker sweeping
 * at once adds the same one. A turn waiting for a person or a sub-agent has only finished jobs, the
 * latest completed: it gets none.
 */
async function revival(
  queue: JobQueue,
  job: TurnJob,
  wakes: readonly string[],
): Promise<string | undefined | null> {
  const jobs = (
    await Promise.all([undefined, ...wakes].map((w) => queue.getJob(TURN_QUEUE, turnJobId(job, w))))
  ).filter((j) => j !== undefined);
  let next = 1;
  for (; next <= MAX_REVIVALS; next++) {
    const found = await queue.getJob(TURN_QUEUE, turnJobId(job, `revive-${next}`));
    if (!found) break;
    jobs.push(found);
  }
  if (jobs.length === 0) return undefined;
  if (jobs.some((j) => j.state !== 'completed' && j.state !== 'failed')) return null;
  const latest = jobs.reduce((a, b) => ((b.finishedOn ?? 0) >= (a.finishedOn ?? 0) ? b : a));
  if (latest.state !== 'failed' || next > MAX_REVIVALS) return null;
  return `revive-${next}`;
}
