/**
 * Executions as jobs (DESIGN §7): a reactor turns each ExecutionRequested / ExecutionResumed into one
 * job per run (job id = execution and run, so a re-delivered event never doubles a run); workers run
 * them; a sweep re-enqueues pending runs whose job is gone and lets the worker settle runs whose
 * worker died long ago.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { asExecutionId } from '../../events/ids.js';
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
    (job) => worker.run(asExecutionId(job.data.executionId), job.data.run),
    { concurrency },
  );
}

/**
 * Enqueues the next run of every pending execution that has no job, and hands each run whose worker
 * is gone to a worker to settle: a worker on this host whose process no longer exists, or any run
 * started longer ago than its timeout plus a minute (it would have been killed by then).
 */
export async function sweepExecutions(pool: pg.Pool, queue: JobQueue): Promise<number> {
  const { rows } = await pool
    .query<{ id: string; runs: number; status: string; worker: string | null; stale: boolean }>(
      `SELECT id, runs, status, worker,
              run_started_at < now() - (timeout_ms + 60000) * interval '1 millisecond' AS stale
         FROM executions WHERE status IN ('PENDING', 'RUNNING') ORDER BY created_at LIMIT 1000`,
    )
    .catch(() => ({
      rows: [] as { id: string; runs: number; status: string; worker: string | null; stale: boolean }[],
    }));
  let n = 0;
  for (const r of rows) {
    const running = r.status === 'RUNNING';
    if (running && !r.stale && !workerGone(r.worker)) continue;
    const job = { executionId: r.id, run: running ? r.runs : r.runs + 1 };
    // a dead run's own job may be retained as completed, so settling it takes a job of its own
    const jobId = await freeJobId(queue, executionJobId(job) + (running ? '-settle' : ''));
    if (jobId === null) continue;
    await queue.add(EXECUTION_QUEUE, 'execution', job, { jobId, ...JOB_OPTIONS });
    n++;
  }
  return n;
}

/** How many times a sweep enqueues a run again whose every job used up its retries. */
const MAX_REVIVALS = 20;

/**
 * The id of the job to add for a run: null when it has one that has not failed; else `base`, or a
 * numbered revival of it when earlier ones failed for good (every attempt met an outage: the run
 * never started, or its settling did not finish), so a failed job does not deduplicate the run's
 * next job forever. Every worker sweeping at once picks the same id.
 */
async function freeJobId(queue: JobQueue, base: string): Promise<string | null> {
  for (let i = 0; i <= MAX_REVIVALS; i++) {
    const id = i === 0 ? base : `${base}-revive-${i}`;
    const found = await queue.getJob(EXECUTION_QUEUE, id);
    if (!found) return id;
    if (found.state !== 'failed') return null;
  }
  return null;
}

/** The worker id of this process: host, pid and start time (a reused pid is a different worker). */
export const WORKER_ID = `${hostname()}:${process.pid}:${Math.round(performance.timeOrigin)}`;

/** True when `worker` ran on this host in a process that no longer exists (or is another process now). */
function workerGone(worker: string | null): boolean {
  const [host, pid, started] = (worker ?? '').split(':');
  if (host !== hostname() || !pid || !started) return false;
  if (`${host}:${pid}:${started}` === WORKER_ID) return false;
  if (Number(pid) === process.pid) return true; // this pid, an earlier process
  try {
    process.kill(Number(pid), 0);
    return false; // alive (or reused: then the time-based rule settles it)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
