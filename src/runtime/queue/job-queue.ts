/**
 * The JobQueue port (DESIGN §3, §7). Two adapters implement it: BullMQ on Redis
 * (./bullmq-queue.ts) and the embedded in-process queue (./in-process-queue.ts). Both pass
 * test/int/job-queue.contract.ts.
 *
 * Semantics both adapters share:
 * - A job id already present in the queue (waiting, delayed, active, or completed/failed and
 *   still retained) deduplicates: the second `add` is a no-op that returns the existing id.
 * - `attempts` counts every run, the first included (default 1). After a failed run the job
 *   waits `backoff` (fixed: `delayMs` each time; exponential: `delayMs * 2^(n-1)` after the
 *   n-th failure) and runs again; when no attempt is left it is `failed`.
 * - `attemptsMade` is 0 in the first run of a handler; `getJob` reports the runs finished.
 * - Data and return values must be JSON-serialisable.
 * - `close()` stops taking jobs, waits for running handlers, then releases connections.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Observable } from 'rxjs';
import { ValidationError } from '../../errors.js';

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface Backoff {
  readonly type: 'fixed' | 'exponential';
  readonly delayMs: number;
}

export interface RetryOptions {
  /** runs in total, the first included; default 1 (no retry) */
  readonly attempts?: number;
  readonly backoff?: Backoff;
}

export interface AddOptions extends RetryOptions {
  /** dedupe key; must not be an integer nor contain ':' */
  readonly jobId?: string;
  readonly delayMs?: number;
}

/** What a handler receives. `signal` aborts when the adapter gives the job up (BullMQ: lock lost). */
export interface JobContext<T = unknown> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  /** runs of this job that finished before this one */
  readonly attemptsMade: number;
  readonly signal?: AbortSignal;
}

export type JobHandler<T = unknown, R = unknown> = (job: JobContext<T>) => Promise<R>;

export interface ProcessOptions {
  /** handlers of this worker running at once; default 1 */
  readonly concurrency?: number;
}

export interface JobInfo {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  readonly state: JobState;
  /** runs that finished (succeeded or threw) */
  readonly attemptsMade: number;
  readonly failedReason?: string;
  readonly returnvalue?: unknown;
  /** when its last run finished (epoch ms, the worker's clock), once one has */
  readonly finishedOn?: number;
  /** when it was added (epoch ms) */
  readonly addedAt: number;
}

/** A worker taking jobs of a queue, as the admin views show it. */
export interface QueueWorkerInfo {
  readonly id: string;
  readonly queue: string;
  /** handlers it runs at once */
  readonly concurrency: number;
  /** when it started taking jobs (epoch ms) */
  readonly startedAt: number;
  readonly host: string;
  readonly pid: number;
}

export type JobCounts = Readonly<Record<JobState, number>>;

/** Every `everyMs` (first run right away), or on a cron pattern (5 or 6 fields, optional IANA tz). */
export type Schedule = { readonly everyMs: number } | { readonly cron: string; readonly tz?: string };

/** The job a schedule adds each time it fires. */
export interface JobTemplate extends RetryOptions {
  readonly name: string;
  readonly data?: unknown;
}

/** Outcomes of runs done by this instance's workers. `final` is false when a retry follows. */
export type JobEvent =
  | {
      readonly type: 'completed';
      readonly queue: string;
      readonly jobId: string;
      readonly returnvalue: unknown;
    }
  | {
      readonly type: 'failed';
      readonly queue: string;
      readonly jobId: string;
      readonly failedReason: string;
      readonly attemptsMade: number;
      readonly final: boolean;
    }
  /** an adapter-level error (connection, ...); `queue` when one is concerned */
  | { readonly type: 'error'; readonly queue?: string; readonly error: Error };

/** How many finished jobs each queue keeps (and so still deduplicates). */
export interface Retention {
  readonly completed: number;
  readonly failed: number;
}

export const defaultRetention: Retention = { completed: 1000, failed: 5000 };

export interface JobQueue {
  /** Returns the job id (the existing one when `opts.jobId` is already present). */
  add<T>(queue: string, name: string, data: T, opts?: AddOptions): Promise<string>;
  /** Registers a worker; resolves when it is ready to take jobs. */
  process<T, R>(queue: string, handler: JobHandler<T, R>, opts?: ProcessOptions): Promise<void>;
  getJob(queue: string, id: string): Promise<JobInfo | undefined>;
  /**
   * How many jobs of `queue` are in each state (finished ones as far as retention keeps them; the
   * `failed` ones are its dead letters): read-only, for the admin views.
   */
  counts(queue: string): Promise<JobCounts>;
  /**
   * Up to `limit` jobs of `queue` in one of `states`, newest first (finished ones as far as retention
   * keeps them): read-only, for the admin views.
   */
  list(queue: string, states: readonly JobState[], limit: number): Promise<JobInfo[]>;
  /** The workers taking jobs of `queue` now, in every process sharing the queue: for the admin views. */
  workers(queue: string): Promise<QueueWorkerInfo[]>;
  /** Creates or replaces the schedule `scheduleId` of `queue`. */
  upsertSchedule(queue: string, scheduleId: string, schedule: Schedule, job: JobTemplate): Promise<void>;
  /** Returns false when there was no such schedule. */
  removeSchedule(queue: string, scheduleId: string): Promise<boolean>;
  /**
   * Throws RefusedBeforeWriteError when the queue cannot take a job now (its store is
   * unreachable); a request that waits for a job's outcome asks first, before writing anything, so
   * it answers a plain 503 at once (not "outcome unknown").
   */
  assertAvailable(): void;
  readonly events: Observable<JobEvent>;
  close(): Promise<void>;
}

/** Throws ValidationError on options both adapters refuse. */
export function validateAdd(opts: AddOptions): void {
  if (opts.jobId !== undefined) validateId(opts.jobId, 'jobId');
  if (opts.delayMs !== undefined) nonNegativeInt(opts.delayMs, 'delayMs');
  validateRetry(opts);
}

export function validateRetry(opts: RetryOptions): void {
  if (opts.attempts !== undefined && (!Number.isInteger(opts.attempts) || opts.attempts < 1)) {
    throw new ValidationError('attempts must be an integer >= 1', 'attempts');
  }
  if (opts.backoff) nonNegativeInt(opts.backoff.delayMs, 'backoff.delayMs');
}

export function validateProcess(opts: ProcessOptions): void {
  const { concurrency } = opts;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new ValidationError('concurrency must be an integer >= 1', 'concurrency');
  }
}

export function validateSchedule(scheduleId: string, schedule: Schedule, job: JobTemplate): void {
  validateId(scheduleId, 'scheduleId');
  validateRetry(job);
  if (!('everyMs' in schedule)) {
    nextCronRun(schedule.cron, schedule.tz, Date.now());
  } else if (!Number.isInteger(schedule.everyMs) || schedule.everyMs < 1) {
    throw new ValidationError('everyMs must be an integer >= 1', 'everyMs');
  }
}

/** The first time strictly after `after` (epoch ms) that `cron` matches in `tz`. */
export function nextCronRun(cron: string, tz: string | undefined, after: number): number {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, ...(tz ? { tz } : {}) })
      .next()
      .getTime();
  } catch (err) {
    throw new ValidationError(`invalid cron schedule: ${(err as Error).message}`, 'cron');
  }
}

function validateId(id: string, field: string): void {
  if (id === '' || /^\d+$/.test(id) || id.includes(':')) {
    throw new ValidationError(`${field} must be non-empty, not an integer, and without ':'`, field);
  }
}

function nonNegativeInt(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 0) throw new ValidationError(`${field} must be an integer >= 0`, field);
}

/** Wait before the next run, after `failures` failed runs (BullMQ's built-in strategies). */
export function backoffDelay(backoff: Backoff | undefined, failures: number): number {
  if (!backoff) return 0;
  switch (backoff.type) {
    case 'fixed':
      return backoff.delayMs;
    case 'exponential':
      return Math.round(2 ** (failures - 1) * backoff.delayMs);
    default: {
      const unreachable: never = backoff.type;
      throw new ValidationError(`unknown backoff type ${String(unreachable)}`, 'backoff.type');
    }
  }
}

/**
 * How long closing a queue waits for handlers still running (a turn whose model never answers, say)
 * before it lets them go: their jobs are not lost (a shared queue hands a stalled job to another
 * worker; open turns and executions are swept again at the next start).
 */
export const JOB_STOP_GRACE_MS = 10_000;

/** true when `work` settled within `ms`; false when the wait ran out first (the work goes on). */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const out = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true as const,
        () => true as const,
      ),
      out,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
