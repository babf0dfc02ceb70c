/**
 * `POST /api/v1/system/flush-stuck-jobs` (administrators, `sinas.system.update:all`): cancels the
 * function executions still RUNNING since before `max_age_hours` ago (2 by default, the original's
 * cut-off), each through the execution's own Cancel command, so the cancellation is an event with
 * the administrator as its actor and the worker running it kills its container. An execution that
 * ended on its own between the read and its cancel is not counted.
 */
import type { Request } from 'express';
import { asExecutionId } from '../commands/ids.js';
import type { ExecutionService } from '../commands/execution/execution-service.js';
import { IllegalStateError } from '../errors.js';
import type { ExecutionQueries } from '../projections/execution-queries.js';
import { principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type RouteRegistry } from './routes.js';

export interface StuckJobDeps {
  readonly executions: Pick<ExecutionService, 'cancel'>;
  readonly queries: Pick<ExecutionQueries, 'runningSince'>;
}

const HOUR_MS = 3_600_000;

export function registerStuckJobRoutes(registry: RouteRegistry, d: StuckJobDeps): void {
  registry.add({
    method: 'post',
    path: '/api/v1/system/flush-stuck-jobs',
    access: { permission: () => 'sinas.system.update:all' },
    summary: 'Cancel the function executions running for longer than max_age_hours (default 2)',
    tags: ['System'],
    query: { max_age_hours: { type: 'number', minimum: 0, maximum: 8760, default: 2 } },
    responses: {
      200: {
        type: 'object',
        properties: { cancelled: { type: 'integer' }, max_age_hours: { type: 'number' } },
      },
    },
    handler: async (req, res) => {
      const hours = queryOf(req).max_age_hours as number;
      const cutoff = new Date(Date.now() - hours * HOUR_MS);
      let cancelled = 0;
      for (const id of await d.queries.runningSince(cutoff)) if (await cancelled1(d, req, id)) cancelled++;
      res.json({ cancelled, max_age_hours: hours });
    },
  });
}

/** false: it had ended by itself since the read model saw it running */
async function cancelled1(d: StuckJobDeps, req: Request, id: string): Promise<boolean> {
  const p = principalOf(req);
  try {
    await d.executions.cancel(
      asExecutionId(id),
      { userId: p.userId, isAdmin: true, permissions: p.permissions },
      { commandId: commandIdOf(req) },
    );
    return true;
  } catch (err) {
    if (err instanceof IllegalStateError) return false;
    throw err;
  }
}
