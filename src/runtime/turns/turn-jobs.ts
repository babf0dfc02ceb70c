/**
 * Turns as jobs (DESIGN §7): a reactor turns each UserMessagePosted into one job per turn (the job
 * id makes a re-delivered event harmless); workers run them; a sweep re-enqueues open turns whose
 * job is gone (the in-process queue loses its jobs when the process dies).
 */
import type pg from 'pg';
import type { ChatEvent } from '../../events/chat-events.js';
import { asChatId, asTurnId } from '../../events/ids.js';
import type { Projection } from '../../projections/projection.js';
import { isConnectionError } from '../../dependency-errors.js';
import { Backoff, type LoopLog } from '../../retry-loop.js';
import type { JobQueue } from '../queue/job-queue.js';
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
        const chatId = e.streamName.slice('chat-'.length);
        if (e.type === 'ToolApprovalDecided') {
          const d = (e as unknown as Extract<ChatEvent, { type: 'ToolApprovalDecided' }>).data;
          await enqueueTurn(queue, { chatId, turnId: d.turnId }, `wake-${d.toolCallId}`);
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

/** Enqueues every open turn that has no job. Returns how many it enqueued. */
export async function sweepOpenTurns(pool: pg.Pool, queue: JobQueue): Promise<number> {
  const { rows } = await pool
    .query<{ chat_id: string; turn_id: string }>(
      `SELECT chat_id, turn_id FROM chat_turns WHERE status IN ('requested', 'running', 'tools') ORDER BY requested_at LIMIT 1000`,
    )
    .catch(() => ({ rows: [] as { chat_id: string; turn_id: string }[] }));
  let n = 0;
  for (const r of rows) {
    const job = { chatId: r.chat_id, turnId: r.turn_id };
    const wake = await revival(queue, job);
    if (wake === null) continue;
    await enqueueTurn(queue, job, wake);
    n++;
  }
  return n;
}

/** How many times a sweep starts a turn again whose every job used up its retries. */
const MAX_REVIVALS = 20;

/**
 * Which job an open turn needs: null when it has one that has not failed; else the wake of the job
 * to add (undefined: its first). A job that used up its retries while a dependency was down (every
 * attempt met the outage) leaves the turn open with a failed job, which deduplicates a plain
 * re-enqueue forever: the sweep adds a revival instead, numbered so that every worker sweeping at
 * once adds the same one.
 */
async function revival(queue: JobQueue, job: TurnJob): Promise<string | undefined | null> {
  for (let i = 0; i <= MAX_REVIVALS; i++) {
    const wake = i === 0 ? undefined : `revive-${i}`;
    const found = await queue.getJob(TURN_QUEUE, turnJobId(job, wake));
    if (!found) return wake;
    if (found.state !== 'failed') return null;
  }
  return null;
}
