/**
 * Executions as jobs (DESIGN §7): a reactor turns each ExecutionRequested / ExecutionResumed into one
 * job per run (job id = execution and run, so a re-delivered event never doubles a run); workers run
 * them; a sweep re-enqueues pending runs whose job is gone and lets the worker settle runs whose
 * worker died long ago.
 */
import type pg from 'pg';
import type { Projection } from '../../projections/projection.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { ExecutionWorker } from './execution-worker.js';

export const EXECUTION_QUEUE = 'executions';

export interface ExecutionJob {
  readonly executionId: string;
  readonly run: number;
}

export const executionJobId = (j: ExecutionJob) => `execution-${j.executionId}-${j.run}`;

/** Platform faults (database down) are retried; the worker never runs a started run twice. */
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delayMs: 1000 } } as const;

export function enqueueExecution(queue: JobQueue, job: ExecutionJob): Promise<string> {
  return queue.add(EXECUTION_QUEUE, 'execution', job, { jobId: executionJobId(job), ...JOB_OPTIONS });
}

export function executionReactor(queue: JobQueue): Projection {
  return {
    name: 'reactor_executions',
    version: 1,
    filter: { categories: ['execution'], eventTypes: ['ExecutionRequested', 'ExecutionResumed'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, events) {
      for (const e of events) {
        const executionId = e.streamName.slice('execution-'.length);
        const run = e.type === 'ExecutionRequested' ? 1 : (e.data as { run: number }).run;
        await enqueueExecution(queue, { executionId, run });
      }
    },
  };
}

export async function startExecutionWorkers(
  queue: JobQueue,
  worker: ExecutionWorker,
  concurrency: number,
): Promise<void> {
  await queue.process<ExecutionJob, void>(
    EXECUTION_QUEUE,
    (job) => worker.run(job.data.executionId, job.data.run),
    { concurrency },
  );
}

/**
 * Enqueues the next run of every pending execution that has no job, and gives each run started
 * longer ago than its timeout plus a minute (its worker is gone) back to a worker to settle.
 */
export async function sweepExecutions(pool: pg.Pool, queue: JobQueue): Promise<number> {
  const { rows } = await pool
    .query<{ id: string; runs: number; status: string }>(
      `SELECT id, runs, status FROM executions
        WHERE status = 'PENDING'
           OR (status = 'RUNNING' AND run_started_at < now() - (timeout_ms + 60000) * interval '1 millisecond')
        ORDER BY created_at LIMIT 1000`,
    )
    .catch(() => ({ rows: [] as { id: string; runs: number; status: string }[] }));
  let n = 0;
  for (const r of rows) {
    const job = { executionId: r.id, run: r.status === 'PENDING' ? r.runs + 1 : r.runs };
    // a stale run's own job may be retained as completed, so settling it takes a job of its own
    const jobId = executionJobId(job) + (r.status === 'RUNNING' ? '-settle' : '');
    if (await queue.getJob(EXECUTION_QUEUE, jobId)) continue;
    await queue.add(EXECUTION_QUEUE, 'execution', job, { jobId, ...JOB_OPTIONS });
    n++;
  }
  return n;
}
