/**
 * `GET /api/v1/queue/stats`, `/queue/jobs`, `/queue/dlq`, `/queue/workers`: the console's System
 * page view of the job queues, administrators only (as the original: `sinas.system.read:all`; a
 * job names the function, agent and chat it serves). Read-only: cancelling a job is
 * ./queue-job-cancel.ts, retrying and flushing dead letters ./queue-dlq.ts.
 */
import { JOB_STATUSES, type JobStatus, type QueueOverview } from '../runtime/admin/queue-overview.js';
import { addJsonGet, listOf, objectOf, SYSTEM_READ } from './admin-route.js';
import { queryOf, type RouteRegistry } from './routes.js';

const tags = ['Queue'];
const DLQ_LIMIT = 1000;

export interface QueueAdminDeps {
  readonly overview: QueueOverview;
  /** the function containers (`/containers/stats` in short) */
  readonly pool: () => Promise<{ idle: number; in_use: number; total: number }>;
  /** the worker processes alive (`/workers`) */
  readonly workers: () => Promise<{ count: number; running: number }>;
}

const counts = (keys: readonly string[]) =>
  objectOf(Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])));

const JOB_FIELDS = {
  job_id: { type: 'string' },
  status: { type: 'string', enum: [...JOB_STATUSES] },
  queue: { type: 'string' },
  function: { type: ['string', 'null'] },
  agent: { type: ['string', 'null'] },
  type: { type: ['string', 'null'] },
  trigger_type: { type: ['string', 'null'] },
  chat_id: { type: ['string', 'null'] },
  execution_id: { type: ['string', 'null'] },
  channel_id: { type: 'null' },
  error: { type: ['string', 'null'] },
  enqueued_at: { type: 'number', description: 'epoch seconds' },
  attempts: { type: 'integer' },
} as const;
/** a dead letter: the job's fields that outlive its queue entry */
const DEAD_LETTER = [
  'job_id',
  'queue',
  'function',
  'agent',
  'execution_id',
  'chat_id',
  'error',
  'attempts',
] as const;

export function registerQueueAdminRoutes(registry: RouteRegistry, d: QueueAdminDeps): void {
  addJsonGet(registry, {
    path: '/api/v1/queue/stats',
    access: SYSTEM_READ,
    summary: 'Jobs pending per queue, jobs by status, dead letters, function containers and workers',
    tags,
    answers: objectOf({
      queues: { type: 'object', additionalProperties: counts(['pending']) },
      jobs: counts(JOB_STATUSES),
      dlq: counts(['size']),
      pool: counts(['idle', 'in_use', 'total']),
      workers: counts(['count', 'running']),
    }),
    read: async () => {
      const [stats, pool, workers] = await Promise.all([d.overview.stats(), d.pool(), d.workers()]);
      const { idle, in_use, total } = pool;
      return { ...stats, pool: { idle, in_use, total }, workers };
    },
  });
  addJsonGet(registry, {
    path: '/api/v1/queue/jobs',
    access: SYSTEM_READ,
    summary: 'The newest jobs of every queue, optionally in one status',
    tags,
    query: {
      status: { type: 'string', enum: [...JOB_STATUSES] },
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    },
    answers: listOf(JOB_FIELDS),
    read: (req) => {
      const q = queryOf(req) as { status?: JobStatus; limit: number };
      return d.overview.jobs(q.status, q.limit);
    },
  });
  addJsonGet(registry, {
    path: '/api/v1/queue/dlq',
    access: SYSTEM_READ,
    summary: 'Dead letters: jobs that failed on every attempt, newest first',
    tags,
    answers: listOf(Object.fromEntries(DEAD_LETTER.map((k) => [k, JOB_FIELDS[k]]))),
    read: () => d.overview.deadLetters(DLQ_LIMIT),
  });
  addJsonGet(registry, {
    path: '/api/v1/queue/workers',
    access: SYSTEM_READ,
    summary: 'The workers taking jobs of each queue, in every process',
    tags,
    answers: listOf({
      worker_id: { type: 'string' },
      queue: { type: 'string' },
      max_jobs: { type: 'integer' },
      started_at: { type: 'number', description: 'epoch seconds' },
      last_heartbeat: { type: 'number', description: 'epoch seconds' },
      host: { type: 'string' },
      pid: { type: 'integer' },
    }),
    read: () => d.overview.workers(),
  });
}
