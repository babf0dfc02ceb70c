/**
 * Turns as jobs (DESIGN §7): a reactor turns each UserMessagePosted into one job per turn (the job
 * id makes a re-delivered event harmless); workers run them; a sweep re-enqueues open turns whose
 * job is gone (the in-process queue loses its jobs when the process dies).
 */
import type pg from 'pg';
import type { ChatEvent } from '../../events/chat-events.js';
import { asChatId, asTurnId } from '../../events/ids.js';
import type { Projection } from '../../projections/projection.js';
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
): Promise<void> {
  await queue.process<TurnJob, void>(
    TURN_QUEUE,
    (job) => runner.run(asChatId(job.data.chatId), asTurnId(job.data.turnId)),
    {
      concurrency,
    },
  );
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
    if (await queue.getJob(TURN_QUEUE, turnJobId(job))) continue;
    await enqueueTurn(queue, job);
    n++;
  }
  return n;
}
