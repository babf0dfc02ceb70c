/**
 * `POST /api/v1/queue/dlq/{job_id}/retry` and `POST /api/v1/queue/dlq/flush` (reference §5.13,
 * administrators: `sinas.system.update:all`), in the original's shapes (`{old_job_id, new_job_id}`,
 * `{flushed}`). Each dead letter is settled once by an event on its own stream, and no failed job
 * is deleted, so a re-delivered event still finds its id (src/runtime/admin/dead-letters.ts). An
 * unknown job is a 404; one that is not a dead letter, or was already settled, a 409.
 */
import type { DeadLetters } from '../runtime/admin/dead-letters.js';
import { objectOf } from './admin-route.js';
import { principalOf } from './auth.js';
import type { Access, RouteRegistry } from './routes.js';

const SYSTEM_UPDATE: Access = { permission: () => 'sinas.system.update:all' };
const tags = ['Queue'];

export function registerQueueDlqRoutes(
  registry: RouteRegistry,
  d: Pick<DeadLetters, 'retry' | 'flush'>,
): void {
  registry.add({
    method: 'post',
    path: '/api/v1/queue/dlq/:job_id/retry',
    access: SYSTEM_UPDATE,
    summary: 'Run a dead letter once more, as a new job; it leaves the DLQ',
    tags,
    params: { job_id: { type: 'string', minLength: 1, maxLength: 200 } },
    responses: { 200: objectOf({ old_job_id: { type: 'string' }, new_job_id: { type: 'string' } }) },
    handler: async (req, res) => {
      res.json(await d.retry(req.params.job_id as string, principalOf(req).userId));
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/queue/dlq/flush',
    access: SYSTEM_UPDATE,
    summary: 'Clear the DLQ (the failed jobs stay in their queue, so a re-delivered event never runs)',
    tags,
    responses: { 200: objectOf({ flushed: { type: 'integer' } }) },
    handler: async (req, res) => {
      res.json(await d.flush(principalOf(req).userId));
    },
  });
}
