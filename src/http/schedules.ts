/**
 * The schedule routes: the kit's management routes, with what the schedule's ticks did and when
 * the next is due added to every response (runtime/schedules/schedule-runs.ts reads them).
 */
import type { JSONSchema } from '../commands/validation.js';
import { registerResourceRoutes, type Decoration, type ResourceRouteDeps } from './resources.js';
import type { RouteRegistry } from './routes.js';

export interface ScheduleRouteDeps extends ResourceRouteDeps {
  /** each schedule's `last_run`, `next_run`, `last_status`, `last_error`, by id */
  readonly runsOf: Decoration['of'];
}

const TIME: JSONSchema = { type: ['string', 'null'], format: 'date-time' };

export function registerScheduleRoutes(registry: RouteRegistry, deps: ScheduleRouteDeps): void {
  const decorate: Decoration = {
    schema: {
      last_run: { ...TIME, description: 'when the last tick was claimed, fired or refused' },
      next_run: { ...TIME, description: 'when the next tick is due; null while inactive' },
      last_status: {
        type: ['string', 'null'],
        enum: ['claimed', 'fired', 'failed', null],
        description: 'what the last tick did',
      },
      last_error: { type: ['string', 'null'], description: 'why the last tick was refused' },
    },
    of: deps.runsOf,
  };
  registerResourceRoutes(registry, { ...deps, decorate });
}
