/**
 * `GET /api/v1/workers`, `/workers/count` and `/containers/stats`: the worker processes alive and
 * their function containers, from their heartbeats
 * (src/runtime/admin/worker-heartbeats.ts), administrators only as in the original. The original's
 * workers are its shared function containers; here they are the processes that run turns and
 * functions, in the same fields (`container_name` names the process) plus their role, pid and host.
 */
import type pg from 'pg';
import { containerStats } from '../runtime/admin/container-stats.js';
import { liveWorkers, type WorkerRow } from '../runtime/admin/worker-heartbeats.js';
import { addJsonGet, listOf, objectOf, SYSTEM_READ } from './admin-route.js';
import type { RouteRegistry } from './routes.js';

const tags = ['Workers'];

export interface WorkerRouteDeps {
  readonly pool: Pick<pg.Pool, 'query'>;
  readonly ttlMs: number;
}

function workerOf(w: WorkerRow) {
  return {
    id: w.id,
    container_name: `sinas-${w.role}@${w.host}:${w.pid}`,
    status: 'running',
    created_at: w.started_at.toISOString(),
    executions: w.executions,
    role: w.role,
    pid: w.pid,
    host: w.host,
    started_at: w.started_at.toISOString(),
    last_seen: w.last_seen.toISOString(),
  };
}

/** the function containers of the live worker processes (src/runtime/admin/container-stats.ts) */
export async function liveContainers(d: WorkerRouteDeps) {
  const rows = await liveWorkers(d.pool, d.ttlMs);
  return containerStats(rows.flatMap((r) => (r.pool ? [r.pool] : [])));
}

/** the worker processes alive, for the queue stats too */
export async function workerCounts(d: WorkerRouteDeps): Promise<{ count: number; running: number }> {
  const n = (await liveWorkers(d.pool, d.ttlMs)).length;
  return { count: n, running: n };
}

export function registerWorkerRoutes(registry: RouteRegistry, d: WorkerRouteDeps): void {
  addJsonGet(registry, {
    path: '/api/v1/workers',
    access: SYSTEM_READ,
    summary: 'The worker processes alive (seen within SINAS_WORKER_TTL_MS), oldest first',
    tags,
    answers: listOf({
      id: { type: 'string' },
      container_name: { type: 'string' },
      status: { type: 'string' },
      created_at: { type: 'string', format: 'date-time' },
      executions: { type: 'integer' },
      role: { type: 'string' },
      pid: { type: 'integer' },
      host: { type: 'string' },
      started_at: { type: 'string', format: 'date-time' },
      last_seen: { type: 'string', format: 'date-time' },
    }),
    read: async () => (await liveWorkers(d.pool, d.ttlMs)).map(workerOf),
  });
  addJsonGet(registry, {
    path: '/api/v1/workers/count',
    access: SYSTEM_READ,
    summary: 'How many worker processes are alive',
    tags,
    answers: objectOf({ count: { type: 'integer' } }),
    read: async () => ({ count: (await workerCounts(d)).count }),
  });
  const container = objectOf({
    name: { type: 'string' },
    status: { type: 'string' },
    executions: { type: 'integer' },
    age_seconds: { type: 'integer' },
  });
  addJsonGet(registry, {
    path: '/api/v1/containers/stats',
    access: SYSTEM_READ,
    summary:
      "The function containers of the live worker processes, idle and in use (as of each one's last heartbeat)",
    tags: ['Containers'],
    answers: objectOf({
      idle: { type: 'integer' },
      in_use: { type: 'integer' },
      total: { type: 'integer' },
      max_size: { type: 'integer' },
      min_idle: { type: 'integer' },
      max_executions: { type: 'integer' },
      idle_containers: { type: 'array', items: container },
      in_use_containers: { type: 'array', items: container },
      sandboxes: { type: 'array', items: { type: 'string' } },
    }),
    read: () => liveContainers(d),
  });
}
