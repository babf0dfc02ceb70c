/**
 * The admin overview of the job queues (the original's `/queue/stats`, `/jobs`, `/dlq`, `/workers`),
 * read from the JobQueue port in the original's shapes: its `functions` queue is our executions
 * queue, its `agents` queue our turns queue; its job statuses are our states (waiting and delayed
 * jobs are `queued`, active ones `running`; nothing is ever `cancelled` in a queue here). Its dead
 * letters are our failed jobs: a job is failed only once it used all its attempts. A job shows ids
 * and names read from the read models, never its payload.
 */
import type { JobLabels } from '../../projections/queue-job-labels.js';
import { EXECUTION_QUEUE } from '../functions/execution-jobs.js';
import type { JobInfo, JobQueue, JobState } from '../queue/job-queue.js';
import { PURGE_QUEUE } from '../turns/purge.js';
import { TURN_QUEUE } from '../turns/turn-jobs.js';

/** the original's queue names → ours */
export const ADMIN_QUEUES = { functions: EXECUTION_QUEUE, agents: TURN_QUEUE, purges: PURGE_QUEUE } as const;
type AdminQueue = keyof typeof ADMIN_QUEUES;
const NAMES = Object.keys(ADMIN_QUEUES) as AdminQueue[];

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const STATES_OF: Record<JobStatus, readonly JobState[]> = {
  queued: ['waiting', 'delayed'],
  running: ['active'],
  completed: ['completed'],
  failed: ['failed'],
  cancelled: [],
};
const ALL_STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

function statusOf(state: JobState): JobStatus {
  switch (state) {
    case 'waiting':
    case 'delayed':
      return 'queued';
    case 'active':
      return 'running';
    case 'completed':
    case 'failed':
      return state;
    default: {
      const unreachable: never = state;
      throw new Error(`unknown job state ${String(unreachable)}`);
    }
  }
}

export interface QueueJobRow {
  job_id: string;
  status: JobStatus;
  queue: AdminQueue;
  function: string | null;
  agent: string | null;
  type: 'message' | 'resume' | 'purge' | null;
  trigger_type: string | null;
  chat_id: string | null;
  execution_id: string | null;
  channel_id: null;
  error: string | null;
  /** epoch seconds, as the original */
  enqueued_at: number;
  attempts: number;
}

/** the ids a job of each queue carries (executions: executionId; turns and purges: chatId) */
interface Ids {
  readonly executionId?: unknown;
  readonly chatId?: unknown;
}

export interface QueueOverviewDeps {
  readonly queue: JobQueue;
  readonly labels: (executionIds: readonly string[], chatIds: readonly string[]) => Promise<JobLabels>;
  /** the dead letters retried or flushed (./dead-letters.ts): failed jobs no longer in the DLQ */
  readonly settled?: () => Promise<ReadonlySet<string>>;
}

export class QueueOverview {
  constructor(private readonly d: QueueOverviewDeps) {}

  async stats() {
    const counts = await Promise.all(NAMES.map((n) => this.d.queue.counts(ADMIN_QUEUES[n])));
    const sum = (k: JobState) => counts.reduce((a, c) => a + c[k], 0);
    return {
      queues: Object.fromEntries(
        NAMES.map((n, i) => [n, { pending: counts[i]!.waiting + counts[i]!.delayed }]),
      ) as Record<AdminQueue, { pending: number }>,
      jobs: {
        queued: sum('waiting') + sum('delayed'),
        running: sum('active'),
        completed: sum('completed'),
        failed: sum('failed'),
        cancelled: 0,
      },
      dlq: { size: await this.dlqSize(sum('failed')) },
    };
  }

  /** the failed jobs not settled yet (all of them when nothing was ever retried or flushed) */
  private async dlqSize(failed: number): Promise<number> {
    const settled = await this.d.settled?.();
    if (!settled?.size || failed === 0) return failed;
    const lists = await Promise.all(NAMES.map((n) => this.d.queue.list(ADMIN_QUEUES[n], ['failed'], failed)));
    return lists.flat().filter((j) => !settled.has(j.id)).length;
  }

  /** the newest `limit` jobs of every queue, in one status or any */
  async jobs(status: JobStatus | undefined, limit: number): Promise<QueueJobRow[]> {
    const states = status ? STATES_OF[status] : ALL_STATES;
    if (states.length === 0) return [];
    return this.rows(states, limit);
  }

  /** the dead letters: failed jobs, every attempt used */
  async deadLetters(limit: number) {
    const [all, settled] = await Promise.all([this.rows(['failed'], limit), this.d.settled?.()]);
    const rows = settled ? all.filter((r) => !settled.has(r.job_id)) : all;
    return rows.map((r) => ({
      job_id: r.job_id,
      queue: r.queue,
      function: r.function,
      agent: r.agent,
      execution_id: r.execution_id,
      chat_id: r.chat_id,
      error: r.error,
      attempts: r.attempts,
    }));
  }

  async workers() {
    const lists = await Promise.all(NAMES.map((n) => this.d.queue.workers(ADMIN_QUEUES[n])));
    const now = Date.now() / 1000;
    return NAMES.flatMap((n, i) =>
      lists[i]!.map((w) => ({
        worker_id: w.id,
        queue: n,
        max_jobs: w.concurrency,
        started_at: w.startedAt / 1000,
        last_heartbeat: now,
        host: w.host,
        pid: w.pid,
      })),
    ).sort((a, b) => a.queue.localeCompare(b.queue) || a.started_at - b.started_at);
  }

  private async rows(states: readonly JobState[], limit: number): Promise<QueueJobRow[]> {
    const lists = await Promise.all(NAMES.map((n) => this.d.queue.list(ADMIN_QUEUES[n], states, limit)));
    const jobs = NAMES.flatMap((n, i) => lists[i]!.map((job) => ({ queue: n, job })))
      .sort((a, b) => b.job.addedAt - a.job.addedAt)
      .slice(0, limit);
    const ids = (k: keyof Ids) => jobs.flatMap(({ job }) => stringAt(job, k) ?? []);
    const labels = await this.d.labels(ids('executionId'), ids('chatId'));
    return jobs.map(({ queue, job }) => rowOf(queue, job, labels));
  }
}

function stringAt(job: JobInfo, key: keyof Ids): string | undefined {
  const v = (job.data as Ids | null)?.[key];
  return typeof v === 'string' ? v : undefined;
}

function rowOf(queue: AdminQueue, job: JobInfo, labels: JobLabels): QueueJobRow {
  const executionId = stringAt(job, 'executionId') ?? null;
  const chatId = stringAt(job, 'chatId') ?? null;
  const execution = executionId ? labels.executions.get(executionId) : undefined;
  return {
    job_id: job.id,
    status: statusOf(job.state),
    queue,
    function: execution?.function ?? null,
    agent: chatId && queue === 'agents' ? (labels.chats.get(chatId) ?? null) : null,
    type: typeOf(queue, job.id),
    trigger_type: execution?.trigger_type ?? null,
    chat_id: chatId,
    execution_id: executionId,
    channel_id: null,
    error: job.failedReason ?? null,
    enqueued_at: job.addedAt / 1000,
    attempts: job.attemptsMade,
  };
}

/** a turn's first job answers a message; a later one (after an approval) resumes it */
function typeOf(queue: AdminQueue, jobId: string): QueueJobRow['type'] {
  switch (queue) {
    case 'agents':
      return jobId.includes('-wake-') ? 'resume' : 'message';
    case 'purges':
      return 'purge';
    case 'functions':
      return null;
    default: {
      const unreachable: never = queue;
      throw new Error(`unknown queue ${String(unreachable)}`);
    }
  }
}
