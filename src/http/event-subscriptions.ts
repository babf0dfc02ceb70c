/**
 * Outbound event webhooks under /api/v1/event-subscriptions (README "Event webhooks"): the kit's
 * routes for the EventSubscription kind, each item with where its delivery stands, plus what only
 * this kind has: the delivery log and replay. The signing secret is in the creation response only.
 */
import type pg from 'pg';
import { eventSubscriptionKind } from '../commands/event-subscription/event-subscription-kind.js';
import type { ResourceService } from '../commands/resource/resource-service.js';
import type { JSONSchema } from '../commands/validation.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import type { WebhookConfig } from '../runtime/config.js';
import {
  deliveriesOf,
  deliveryStatesOf,
  resetCheckpoint,
  type DeliveryRow,
  type DeliveryState,
} from '../runtime/webhooks/delivery-log.js';
import { kindAccess } from './resource-access.js';
import { registerResourceRoutes, type Decoration } from './resources.js';
import { queryOf, type RouteRegistry } from './routes.js';

export interface EventSubscriptionRouteDeps {
  readonly service: ResourceService;
  readonly queries: ResourceQueries;
  readonly pool: pg.Pool;
  readonly waiter: ProjectionWaiter;
  readonly webhooks: WebhookConfig;
  readonly consistencyTimeoutMs: number;
}

const paging = {
  skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
} as const;

const DELIVERY_STATUS: JSONSchema = {
  type: ['object', 'null'],
  description: 'where delivery stands: null until the first pass',
  properties: {
    status: { type: 'string', enum: ['ok', 'retrying', 'failing'] },
    position: { type: 'integer', description: 'the last `$all` position handled' },
    failures: { type: 'integer', description: 'consecutive failed attempts' },
    next_attempt_at: { type: 'string', format: 'date-time' },
    last_error: { type: ['string', 'null'] },
  },
};
const DELIVERY: JSONSchema = {
  type: 'object',
  properties: {
    event_id: { type: 'string', format: 'uuid' },
    position: { type: 'integer' },
    attempt: { type: 'integer' },
    status_code: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    duration_ms: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
  },
};

export function registerEventSubscriptionRoutes(
  registry: RouteRegistry,
  deps: EventSubscriptionRouteDeps,
): void {
  const decorate: Decoration = {
    schema: {
      delivery: DELIVERY_STATUS,
      secret: {
        type: 'string',
        description: 'the Standard Webhooks signing secret (whsec_…): in the creation response only',
      },
    },
    async of(ids) {
      const states = await deliveryStatesOf(deps.pool, ids);
      return new Map(ids.map((id) => [id, { delivery: statusOf(states.get(id), deps.webhooks) }]));
    },
  };
  registerResourceRoutes(registry, { ...deps, decorate });
  const access = kindAccess(eventSubscriptionKind, deps.service, deps.queries);
  const item = `/api/v1/${eventSubscriptionKind.path}/:id`;
  const tags = [eventSubscriptionKind.tag!];
  const params = { id: { type: 'string', format: 'uuid' } } as const;
  registry.add({
    method: 'get',
    path: `${item}/deliveries`,
    access: access.route('read'),
    summary: 'The delivery log: every attempt, oldest first',
    tags,
    params,
    query: paging,
    responses: { 200: { type: 'array', items: DELIVERY } },
    handler: async (req, res) => {
      const { name: id } = await access.find(req, 'read');
      const q = queryOf(req) as { skip: number; limit: number };
      const { rows, total } = await deliveriesOf(deps.pool, id, q.skip, q.limit);
      res.setHeader('X-Total-Count', String(total));
      res.json(rows.map(fromDelivery));
    },
  });
  registry.add({
    method: 'post',
    path: `${item}/replay`,
    access: access.route('update'),
    summary: 'Re-deliver every matching event from a `$all` position (inclusive) on',
    tags,
    params,
    query: { from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 202: { type: 'object', properties: { from: { type: 'integer' } } } },
    handler: async (req, res) => {
      const { name: id } = await access.find(req, 'update');
      const from = BigInt((queryOf(req).from as number | undefined) ?? 0);
      await resetCheckpoint(deps.pool, id, from);
      res.status(202).json({ from: Number(from) });
    },
  });
}

function statusOf(d: DeliveryState | undefined, config: WebhookConfig): Record<string, unknown> | null {
  if (!d) return null;
  return {
    status: d.failures === 0 ? 'ok' : d.failures >= config.failingAfter ? 'failing' : 'retrying',
    position: Number(d.position),
    failures: d.failures,
    next_attempt_at: d.nextAttemptAt.toISOString(),
    last_error: d.lastError,
  };
}

function fromDelivery(d: DeliveryRow): Record<string, unknown> {
  return {
    event_id: d.event_id,
    position: Number(d.position),
    attempt: d.attempt,
    status_code: d.status_code,
    error: d.error,
    duration_ms: d.duration_ms,
    at: new Date(d.at).toISOString(),
  };
}
