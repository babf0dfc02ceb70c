/**
 * The embedded JobQueue: jobs live in this process's memory, with the same semantics as the
 * BullMQ adapter (job id dedupe, retries with backoff, delays, per-worker concurrency,
 * schedules). Jobs still waiting when the process stops are lost; durable state belongs in
 * the event store, and reactors re-enqueue from it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Subject } from 'rxjs';
import { IllegalStateError } from '../../errors.js';
import {
  backoffDelay,
  defaultRetention,
  nextCronRun,
  validateAdd,
  validateProcess,
  validateSchedule,
  type AddOptions,
  type JobCounts,
  type JobEvent,
  type JobHandler,
  type JobInfo,
  type JobQueue,
  type JobState,
  type QueueWorkerInfo,
  type JobTemplate,
  type ProcessOptions,
  type Retention,
  type RetryOptions,
  type Schedule,
  JOB_STOP_GRACE_MS,
  settledWithin,
} from './job-queue.js';

/** setTimeout's largest delay */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface StoredJob {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  readonly retry: RetryOptions;
  readonly addedAt: number;
  state: JobState;
  attemptsMade: number;
  failedReason?: string;
  returnvalue?: unknown;
  finishedOn?: number;
}

interface LocalWorker {
  readonly id: string;
  readonly startedAt: number;
  readonly handler: JobHandler<never, unknown>;
  readonly concurrency: number;
  active: number;
}

interface Slot {
  readonly name: string;
  readonly jobs: Map<string, StoredJob>;
  readonly waiting: StoredJob[];
  readonly finished: { readonly completed: string[]; readonly failed: string[] };
  readonly workers: LocalWorker[];
}

export class InProcessQueue implements JobQueue {
  private readonly slots = new Map<string, Slot>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly schedules = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly subject = new Subject<JobEvent>();
  readonly events = this.subject.asObservable();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly retention: Retention = defaultRetention,
    /** how long close waits for running handlers before letting them go */
    private readonly stopGraceMs = JOB_STOP_GRACE_MS,
  ) {}

  async add<T>(queue: string, name: string, data: T, opts: AddOptions = {}): Promise<string> {
    this.assertOpen();
    validateAdd(opts);
    return this.enqueue(queue, name, data, opts);
  }

  async process<T, R>(queue: string, handler: JobHandler<T, R>, opts: ProcessOptions = {}): Promise<void> {
    this.assertOpen();
    validateProcess(opts);
    const slot = this.slot(queue);
    slot.workers.push({
      id: randomUUID(),
      startedAt: Date.now(),
      handler: handler as JobHandler<never, unknown>,
      concurrency: opts.concurrency ?? 1,
      active: 0,
    });
    this.pump(slot);
  }

  async getJob(queue: string, id: string): Promise<JobInfo | undefined> {
    const job = this.slots.get(queue)?.jobs.get(id);
    if (!job) return undefined;
    const { retry: _retry, ...info } = job;
    return { ...info };
  }

  async counts(queue: string): Promise<JobCounts> {
    const counts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
    for (const job of this.slots.get(queue)?.jobs.values() ?? []) counts[job.state] += 1;
    return counts;
  }

  async list(queue: string, states: readonly JobState[], limit: number): Promise<JobInfo[]> {
    const jobs = [...(this.slots.get(queue)?.jobs.values() ?? [])].filter((j) => states.includes(j.state));
    // newest first; the map keeps insertion order, so among equal times the later-added comes first
    return jobs
      .reverse()
      .sort((a, b) => b.addedAt - a.addedAt)
      .slice(0, limit)
      .map(({ retry: _retry, ...info }) => ({ ...info }));
  }

  async workers(queue: string): Promise<QueueWorkerInfo[]> {
    if (this.closed) return [];
    return (this.slots.get(queue)?.workers ?? []).map((w) => ({
      id: w.id,
      queue,
      concurrency: w.concurrency,
      startedAt: w.startedAt,
      host: hostname(),
      pid: process.pid,
    }));
  }

  async upsertSchedule(
    queue: string,
    scheduleId: string,
    schedule: Schedule,
    job: JobTemplate,
  ): Promise<void> {
    this.assertOpen();
    validateSchedule(scheduleId, schedule, job);
    await this.removeSchedule(queue, scheduleId);
    const first = 'everyMs' in schedule ? Date.now() : nextCronRun(schedule.cron, schedule.tz, Date.now());
    this.arm(queue, scheduleId, schedule, job, first);
  }

  async removeSchedule(queue: string, scheduleId: string): Promise<boolean> {
    const key = scheduleKey(queue, scheduleId);
    const timer = this.schedules.get(key);
    clearTimeout(timer);
    return this.schedules.delete(key);
  }

  /** Always available: it lives in this process. */
  assertAvailable(): void {}

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const timer of [...this.timers, ...this.schedules.values()]) clearTimeout(timer);
    this.timers.clear();
    this.schedules.clear();
    const drained = (async () => {
      while (this.running.size > 0) await Promise.all(this.running);
    })();
    // a handler still running after the grace is let go: its open turn or execution is swept again
    await settledWithin(drained, this.stopGraceMs);
    this.subject.complete();
  }

  private enqueue(queue: string, name: string, data: unknown, opts: AddOptions): string {
    const slot = this.slot(queue);
    const existing = opts.jobId === undefined ? undefined : slot.jobs.get(opts.jobId);
    if (existing) return existing.id;
    const retry = { attempts: opts.attempts, backoff: opts.backoff };
    const job: StoredJob = {
      id: opts.jobId ?? randomUUID(),
      name,
      data,
      retry,
      addedAt: Date.now(),
      state: 'waiting',
      attemptsMade: 0,
    };
    slot.jobs.set(job.id, job);
    this.wait(slot, job, opts.delayMs ?? 0);
    return job.id;
  }

  private wait(slot: Slot, job: StoredJob, delayMs: number): void {
    if (delayMs > 0) {
      job.state = 'delayed';
      this.later(delayMs, () => this.wait(slot, job, 0));
      return;
    }
    job.state = 'waiting';
    slot.waiting.push(job);
    this.pump(slot);
  }

  /** Runs `fn` after `delayMs`, unless closed first; waits longer than one timer allows are chained. */
  private later(delayMs: number, fn: () => void): void {
    if (this.closed) return;
    const step = Math.min(delayMs, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (step < delayMs) this.later(delayMs - step, fn);
      else fn();
    }, step);
    this.timers.add(timer);
  }

  private pump(slot: Slot): void {
    for (const worker of slot.workers) {
      let job: StoredJob | undefined;
      while (!this.closed && worker.active < worker.concurrency && (job = slot.waiting.shift())) {
        const run = this.run(slot, worker, job);
        this.running.add(run);
        void run.finally(() => this.running.delete(run));
      }
    }
  }

  private async run(slot: Slot, worker: LocalWorker, job: StoredJob): Promise<void> {
    worker.active++;
    job.state = 'active';
    const ctx = { id: job.id, name: job.name, data: job.data as never, attemptsMade: job.attemptsMade };
    try {
      const result = await Promise.resolve().then(() => worker.handler(ctx));
      this.completed(slot, job, result);
    } catch (err) {
      this.failed(slot, job, err instanceof Error ? err.message : String(err));
    } finally {
      worker.active--;
      this.pump(slot);
    }
  }

  private completed(slot: Slot, job: StoredJob, returnvalue: unknown): void {
    job.attemptsMade++;
    job.finishedOn = Date.now();
    job.state = 'completed';
    job.returnvalue = returnvalue;
    this.retain(slot, 'completed', job.id);
    this.subject.next({ type: 'completed', queue: slot.name, jobId: job.id, returnvalue });
  }

  private failed(slot: Slot, job: StoredJob, failedReason: string): void {
    const attemptsMade = ++job.attemptsMade;
    job.finishedOn = Date.now();
    const final = attemptsMade >= (job.retry.attempts ?? 1);
    job.failedReason = failedReason;
    if (final) {
      job.state = 'failed';
      this.retain(slot, 'failed', job.id);
    } else {
      job.state = 'delayed';
      this.later(backoffDelay(job.retry.backoff, attemptsMade), () => this.wait(slot, job, 0));
    }
    this.subject.next({ type: 'failed', queue: slot.name, jobId: job.id, failedReason, attemptsMade, final });
  }

  private retain(slot: Slot, kind: 'completed' | 'failed', id: string): void {
    const ids = slot.finished[kind];
    ids.push(id);
    for (const dropped of ids.splice(0, Math.max(0, ids.length - this.retention[kind]))) {
      slot.jobs.delete(dropped);
    }
  }

  private arm(queue: string, scheduleId: string, schedule: Schedule, tpl: JobTemplate, at: number): void {
    const wait = at - Date.now();
    const timer = setTimeout(
      () => {
        if (wait > MAX_TIMER_MS) this.arm(queue, scheduleId, schedule, tpl, at);
        else this.fire(queue, scheduleId, schedule, tpl, at);
      },
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    );
    this.schedules.set(scheduleKey(queue, scheduleId), timer);
  }

  private fire(queue: string, scheduleId: string, schedule: Schedule, tpl: JobTemplate, at: number): void {
    const { name, data, attempts, backoff } = tpl;
    this.enqueue(queue, name, data, { jobId: `repeat:${scheduleId}:${at}`, attempts, backoff });
    this.arm(queue, scheduleId, schedule, tpl, nextRun(schedule, at));
  }

  private slot(name: string): Slot {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = { name, jobs: new Map(), waiting: [], finished: { completed: [], failed: [] }, workers: [] };
      this.slots.set(name, slot);
    }
    return slot;
  }

  private assertOpen(): void {
    if (this.closed) throw new IllegalStateError('job queue is closed');
  }
}

/** The run after the one due at `prev`; a late timer does not cause a burst of catch-up runs. */
function nextRun(schedule: Schedule, prev: number): number {
  const now = Date.now();
  if ('everyMs' in schedule) return Math.max(prev + schedule.everyMs, now);
  return nextCronRun(schedule.cron, schedule.tz, Math.max(prev, now));
}

function scheduleKey(queue: string, scheduleId: string): string {
  return `${queue}\0${scheduleId}`;
}
