/**
 * `GET /api/v1/queue/stats`, `/queue/jobs`, `/queue/dlq`, `/queue/workers`: the console's System
 * page view of the job queues, administrators only (as the original: `sinas.system.read:all`; a
 * job names the function, agent and chat it serves). Read-only: cancelling a job is
 * ./queue-job-cancel.ts; retrying and flushing are not offered (a job's outcome is an event; the
 * event store is where it is retried).
 */
import { JOB_STATUSES, type JobStatus, type QueueOverview } from '../runtime/admin/queue-overview.js';
import { queryOf, type RouteRegistry } from './routes.js';

const tags = ['Queue'];
const ADMIN = { permission: () => 'sinas.system.read:all' } as const;
const DLQ_LIMIT = 1000;

export interface QueueAdminDeps {
  readonly overview: QueueOverview;
  /** the function containers (`/containers/stats` in short) */
  readonly pool: () => Promise<{ idle: number; in_use: number; total: number }>;
  /** the worker processes alive (`/workers`) */
  readonly workers: () => Promise<{ count: number; running: number }>;
}

const counts = (keys: readonly string[]) => ({
  type: 'object',
  properties: Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])),
});

const jobSchema = {
  type: 'object',
  properties: {
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
  },
};

export function registerQueueAdminRoutes(registry: RouteRegistry, d: QueueAdminDeps): void {
  registry.add({
    method: 'get',
    path: '/api/v1/queue/stats',
    access: ADMIN,
    summary: 'Jobs pending per queue, jobs by status, dead letters, function containers and workers',
    tags,
    responses: {
      200: {
        type: 'object',
        properties: {
          queues: { type: 'object', additionalProperties: counts(['pending']) },
          jobs: counts(JOB_STATUSES),
          dlq: counts(['size']),
          pool: counts(['idle', 'in_use', 'total']),
          workers: counts(['count', 'running']),
        },
      },
    },
    handler: async (_req, res) => {
      const [stats, pool, workers] = await Promise.all([d.overview.stats(), d.pool(), d.workers()]);
      const { idle, in_use, total } = pool;
      res.json({ ...stats, pool: { idle, in_use, total }, workers });
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/queue/jobs',
    access: ADMIN,
    summary: 'The newest jobs of every queue, optionally in one status',
    tags,
    query: {
      status: { type: 'string', enum: [...JOB_STATUSES] },
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    },
    responses: { 200: { type: 'array', items: jobSchema } },
    handler: async (req, res) => {
      const q = queryOf(req) as { status?: JobStatus; limit: number };
      res.json(await d.overview.jobs(q.status, q.limit));
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/queue/dlq',
    access: ADMIN,
    summary: 'Dead letters: jobs that failed on every attempt, newest first',
    tags,
    responses: {
      200: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            job_id: { type: 'string' },
            queue: { type: 'string' },
            function: { type: ['string', 'null'] },
            agent: { type: ['string', 'null'] },
            execution_id: { type: ['string', 'null'] },
            chat_id: { type: ['string', 'null'] },
            error: { type: ['string', 'null'] },
            attempts: { type: 'integer' },
          },
        },
      },
    },
    handler: async (_req, res) => {
      res.json(await d.overview.deadLetters(DLQ_LIMIT));
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/queue/workers',
    access: ADMIN,
    summary: 'The workers taking jobs of each queue, in every process',
    tags,
    responses: {
      200: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            worker_id: { type: 'string' },
            queue: { type: 'string' },
            max_jobs: { type: 'integer' },
            started_at: { type: 'number', description: 'epoch seconds' },
            last_heartbeat: { type: 'number', description: 'epoch seconds' },
            host: { type: 'string' },
            pid: { type: 'integer' },
          },
        },
      },
    },
    handler: async (_req, res) => {
      res.json(await d.overview.workers());
    },
  });
}
