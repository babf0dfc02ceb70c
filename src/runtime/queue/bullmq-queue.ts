/**
 * The production JobQueue: BullMQ on Redis. One ioredis connection per instance is shared by
 * its queues (producers); each worker duplicates it for its blocking connection. All keys
 * start with `prefix`, so several deployments or test runs can share one Redis.
 *
 * When Redis goes away nothing is lost: jobs live in Redis, adds wait for the reconnect, workers
 * retry fetching every WORKER_RETRY_MS until it is back, and a running job's outcome is recorded
 * once it is. `assertAvailable` lets a request that needs a job answer 503 at once instead.
 */
import { Queue, Worker, type Job, type JobsOptions, type JobState as BullState } from 'bullmq';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import { IllegalStateError, RefusedBeforeWriteError } from '../../errors.js';
import { resilientOptions, watchConnection, type OutageReport } from '../redis-connection.js';
import {
  defaultRetention,
  validateAdd,
  validateProcess,
  validateSchedule,
  type AddOptions,
  type JobContext,
  type JobCounts,
  type JobEvent,
  type JobHandler,
  type JobInfo,
  type JobQueue,
  type JobState,
  type JobTemplate,
  type QueueWorkerInfo,
  type ProcessOptions,
  type Retention,
  type RetryOptions,
  type Schedule,
  JOB_STOP_GRACE_MS,
  settledWithin,
} from './job-queue.js';

export interface BullMqQueueOptions {
  /** redis://... */
  readonly url: string;
  /** first segment of every key; default 'sinas' */
  readonly prefix?: string;
  readonly retention?: Retention;
  /** connection trouble, once per outage; default: written to stderr */
  readonly outage?: OutageReport;
  /** how long close waits for running handlers; default JOB_STOP_GRACE_MS */
  readonly stopGraceMs?: number;
}

/** How soon a worker tries again to fetch jobs after a connection error (BullMQ's default is 15 s). */
const WORKER_RETRY_MS = 500;

const stderrOutage: OutageReport = {
  down: (err) => process.stderr.write(`job queue: redis is unreachable (${err.message}); retrying\n`),
  up: () => process.stderr.write('job queue: redis is reachable again\n'),
};

export class BullMqQueue implements JobQueue {
  private readonly connection: Redis;
  private readonly prefix: string;
  private readonly queues = new Map<string, Queue>();
  private readonly bullWorkers: Worker[] = [];
  private readonly subject = new Subject<JobEvent>();
  readonly events = this.subject.asObservable();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: BullMqQueueOptions) {
    this.prefix = opts.prefix ?? 'sinas';
    this.connection = watchConnection(
      new Redis(opts.url, { ...resilientOptions, maxRetriesPerRequest: null }),
      opts.outage ?? stderrOutage,
    );
    this.connection.on('error', (error: Error) => this.subject.next({ type: 'error', error }));
  }

  /**
   * Throws RefusedBeforeWriteError('redis') while the connection to Redis is not up: called before
   * anything is written, so the refused request is known not to have happened.
   */
  assertAvailable(): void {
    if (this.connection.status !== 'ready') throw new RefusedBeforeWriteError('redis');
  }

  async add<T>(queue: string, name: string, data: T, opts: AddOptions = {}): Promise<string> {
    this.assertOpen();
    validateAdd(opts);
    const job = await this.queue(queue).add(name, data, toJobsOptions(opts));
    if (job.id === undefined) throw new IllegalStateError(`BullMQ returned no id for a job of ${queue}`);
    return job.id;
  }

  async process<T, R>(queue: string, handler: JobHandler<T, R>, opts: ProcessOptions = {}): Promise<void> {
    this.assertOpen();
    validateProcess(opts);
    const worker = new Worker<T, R>(queue, (job, _token, signal) => handler(toContext(job, signal)), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency: opts.concurrency ?? 1,
      runRetryDelay: WORKER_RETRY_MS,
      name: workerName(opts.concurrency ?? 1),
    });
    this.bullWorkers.push(worker);
    this.report(queue, worker);
    await worker.waitUntilReady();
  }

  /** The job's hash and its state are two reads: retry until the state is the same around the hash. */
  async getJob(queue: string, id: string): Promise<JobInfo | undefined> {
    const q = this.queue(queue);
    for (let state = await q.getJobState(id); ;) {
      const job = await q.getJob(id);
      const after = await q.getJobState(id);
      if (after !== state) {
        state = after;
        continue;
      }
      const mapped = toState(state);
      if (!job?.id || !mapped) return undefined;
      return toInfo(job, mapped);
    }
  }

  /** Up to `limit` of each state asked for, newest first, then the newest `limit` of them all. */
  async list(queue: string, states: readonly JobState[], limit: number): Promise<JobInfo[]> {
    const q = this.queue(queue);
    const each = await Promise.all(
      [...new Set(states)].map(async (state) => {
        const jobs = await q.getJobs(BULL_STATES[state], 0, limit - 1, false);
        return jobs.flatMap((job) => (job?.id ? [toInfo(job, state)] : []));
      }),
    );
    return each
      .flat()
      .sort((a, b) => b.addedAt - a.addedAt)
      .slice(0, limit);
  }

  /** The workers connected to Redis for `queue`, from any process: named by `workerName`. */
  async workers(queue: string): Promise<QueueWorkerInfo[]> {
    const clients = (await this.queue(queue).getWorkers()) as Record<string, string>[];
    const now = Date.now();
    return clients.flatMap((c) => {
      const named = parseWorkerName(c.rawname ?? '');
      if (!named || !c.id) return [];
      return [{ id: c.id, queue, ...named, startedAt: now - Number(c.age ?? 0) * 1000 }];
    });
  }

  /** BullMQ's own counts; its prioritized and waiting-for-children jobs wait too */
  async counts(queue: string): Promise<JobCounts> {
    const c = await this.queue(queue).getJobCounts(
      'waiting',
      'prioritized',
      'waiting-children',
      'delayed',
      'active',
      'completed',
      'failed',
    );
    const n = (k: string) => c[k] ?? 0;
    return {
      waiting: n('waiting') + n('prioritized') + n('waiting-children'),
      delayed: n('delayed'),
      active: n('active'),
      completed: n('completed'),
      failed: n('failed'),
    };
  }

  async upsertSchedule(
    queue: string,
    scheduleId: string,
    schedule: Schedule,
    job: JobTemplate,
  ): Promise<void> {
    this.assertOpen();
    validateSchedule(scheduleId, schedule, job);
    const repeat =
      'everyMs' in schedule ? { every: schedule.everyMs } : { pattern: schedule.cron, tz: schedule.tz };
    await this.queue(queue).upsertJobScheduler(scheduleId, repeat, {
      name: job.name,
      data: job.data ?? {},
      opts: toJobsOptions(job),
    });
  }

  async removeSchedule(queue: string, scheduleId: string): Promise<boolean> {
    return this.queue(queue).removeJobScheduler(scheduleId);
  }

  /** Stops the workers (each waits for its running handlers, within a grace), then closes queues and the connection. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    const workers = Promise.all(this.bullWorkers.map((w) => w.close()));
    const finished = await settledWithin(workers, this.opts.stopGraceMs ?? JOB_STOP_GRACE_MS);
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    // handlers still running after the grace are let go: their jobs stall and go to another worker
    if (finished) await this.connection.quit();
    else this.connection.disconnect();
    this.subject.complete();
  }

  private report(queue: string, worker: Worker): void {
    worker.on('completed', (job, returnvalue: unknown) => {
      this.subject.next({ type: 'completed', queue, jobId: String(job.id), returnvalue });
    });
    worker.on('failed', (job, err) => {
      if (!job) return this.subject.next({ type: 'error', queue, error: err });
      const { attemptsMade } = job;
      const final = attemptsMade >= (job.opts.attempts ?? 1);
      this.subject.next({
        type: 'failed',
        queue,
        jobId: String(job.id),
        failedReason: err.message,
        attemptsMade,
        final,
      });
    });
    worker.on('error', (error) => this.subject.next({ type: 'error', queue, error }));
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      const { completed, failed } = this.opts.retention ?? defaultRetention;
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: { removeOnComplete: { count: completed }, removeOnFail: { count: failed } },
      });
      queue.on('error', (error) => this.subject.next({ type: 'error', queue: name, error }));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private assertOpen(): void {
    if (this.closed) throw new IllegalStateError('job queue is closed');
  }
}

/** What BullMQ calls each of our states (its prioritized and waiting-for-children jobs wait too). */
const BULL_STATES: Record<JobState, BullState[]> = {
  waiting: ['waiting', 'prioritized', 'waiting-children'],
  delayed: ['delayed'],
  active: ['active'],
  completed: ['completed'],
  failed: ['failed'],
};

function toInfo(job: Job, state: JobState): JobInfo {
  const { name, data, attemptsMade, failedReason, returnvalue, timestamp, finishedOn } = job;
  return {
    id: String(job.id),
    name,
    data,
    state,
    attemptsMade,
    failedReason,
    returnvalue,
    addedAt: timestamp,
    finishedOn,
  };
}

/**
 * A worker's Redis client name carries what the admin views show of it (BullMQ lists workers by
 * client name): `<concurrency>.<pid>.<host>`.
 */
function workerName(concurrency: number): string {
  return `${concurrency}.${process.pid}.${hostname().replace(/[^\w.-]/g, '_')}`;
}

function parseWorkerName(raw: string): Pick<QueueWorkerInfo, 'concurrency' | 'pid' | 'host'> | undefined {
  const m = /:w:(\d+)\.(\d+)\.(.*)$/.exec(raw);
  if (!m) return undefined;
  return { concurrency: Number(m[1]), pid: Number(m[2]), host: m[3]! };
}

function toJobsOptions(opts: AddOptions & RetryOptions): JobsOptions {
  const out: JobsOptions = {};
  if (opts.jobId !== undefined) out.jobId = opts.jobId;
  if (opts.delayMs) out.delay = opts.delayMs;
  if (opts.attempts !== undefined) out.attempts = opts.attempts;
  if (opts.backoff) out.backoff = { type: opts.backoff.type, delay: opts.backoff.delayMs };
  return out;
}

function toContext<T>(job: Job<T>, signal: AbortSignal | undefined): JobContext<T> {
  const { name, data, attemptsMade } = job;
  return { id: String(job.id), name, data, attemptsMade, ...(signal ? { signal } : {}) };
}

function toState(state: BullState | 'unknown'): JobState | undefined {
  switch (state) {
    case 'waiting':
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'unknown':
      return undefined;
    default: {
      const unreachable: never = state;
      throw new IllegalStateError(`unknown BullMQ job state ${String(unreachable)}`);
    }
  }
}
