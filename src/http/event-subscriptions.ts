/**
 * Outbound event webhooks under /api/v1/event-subscriptions (README "Event webhooks"). The signing
 * secret is in the creation response only. Someone else's subscription does not exist for a caller
 * (404) unless they hold the `:all` permission of the action.
 */
import type { Request, Response } from 'express';
import type {
  EventSubscriptionService,
  SubscriptionWrite,
} from '../commands/event-subscription/event-subscription-service.js';
import {
  createSubscriptionSchema,
  updateSubscriptionSchema,
} from '../commands/event-subscription/event-subscription-schemas.js';
import type { JSONSchema } from '../commands/validation.js';
import { NotFoundError } from '../errors.js';
import type {
  EventSubscriptionQueries,
  SubscriptionView,
} from '../projections/event-subscription-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import type { WebhookConfig } from '../runtime/config.js';
import { deliveriesOf, resetCheckpoint, type DeliveryRow } from '../runtime/webhooks/delivery-log.js';
import type pg from 'pg';
import { holds, principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type RouteRegistry } from './routes.js';

export interface EventSubscriptionRouteDeps {
  readonly service: EventSubscriptionService;
  readonly queries: EventSubscriptionQueries;
  readonly pool: pg.Pool;
  readonly waiter: ProjectionWaiter;
  readonly webhooks: WebhookConfig;
  readonly consistencyTimeoutMs: number;
}

const BASE = '/api/v1/event-subscriptions';
const ITEM = `${BASE}/:id`;
const tags = ['Event subscription'];
const params = { id: { type: 'string', format: 'uuid' } } as const;
const paging = {
  skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
} as const;
const NAMES: JSONSchema = { type: 'array', items: { type: 'string' } };

const RESPONSE: JSONSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    url: { type: 'string' },
    event_types: NAMES,
    categories: NAMES,
    description: { type: ['string', 'null'] },
    active: { type: 'boolean' },
    scope: { type: 'string', enum: ['own', 'all'] },
    user_id: { type: 'string' },
    version: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    delivery: {
      type: ['object', 'null'],
      description: 'where delivery stands: null until the first pass',
      properties: {
        status: { type: 'string', enum: ['ok', 'retrying', 'failing'] },
        position: { type: 'integer', description: 'the last `$all` position handled' },
        failures: { type: 'integer', description: 'consecutive failed attempts' },
        next_attempt_at: { type: 'string', format: 'date-time' },
        last_error: { type: ['string', 'null'] },
      },
    },
  },
};
const CREATED: JSONSchema = {
  ...RESPONSE,
  properties: {
    ...(RESPONSE.properties as Record<string, JSONSchema>),
    secret: {
      type: 'string',
      description: 'the Standard Webhooks signing secret (whsec_…): shown only now, store it',
    },
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
  const caller = (req: Request, action: string) => ({
    userId: principalOf(req).userId,
    isAdmin: holds(req, `sinas.webhooks.${action}:all`),
  });
  const reader = (req: Request) => ({
    userId: principalOf(req).userId,
    all: holds(req, 'sinas.webhooks.read:all'),
  });
  const ctx = (req: Request) => ({
    commandId: commandIdOf(req),
    actor: principalOf(req).userId,
    correlationId: String(req.get('x-request-id') ?? '') || undefined,
  });
  const written = async (res: Response, position: bigint | undefined) => {
    const ok = await deps.waiter.waitFor(['event_subscriptions'], position, deps.consistencyTimeoutMs);
    if (!ok) res.setHeader('Sinas-Consistency', 'pending');
    if (position !== undefined) res.setHeader('Sinas-Position', String(position));
  };
  const visible = async (req: Request, action: string) => {
    const { id } = req.params as { id: string };
    const all = holds(req, `sinas.webhooks.${action}:all`);
    const row = await deps.queries.get({ userId: principalOf(req).userId, all }, id);
    if (!row) throw new NotFoundError('event subscription not found', 'id');
    return row;
  };

  registry.add({
    method: 'post',
    path: BASE,
    access: { permission: () => 'sinas.webhooks.create:own' },
    summary: 'Subscribe a URL to events; the response carries the signing secret, once',
    tags,
    body: createSubscriptionSchema,
    responses: { 201: CREATED },
    handler: async (req, res) => {
      const r = await deps.service.create(req.body, caller(req, 'create'), reader(req).all, ctx(req));
      await written(res, r.position);
      res.setHeader('ETag', `"${r.subscription.version}"`);
      res.status(201).json({ ...fromWrite(r), secret: r.secret });
    },
  });
  registry.add({
    method: 'get',
    path: BASE,
    access: { permission: () => 'sinas.webhooks.read:own' },
    summary: 'Your event subscriptions (with sinas.webhooks.read:all: every one)',
    tags,
    query: paging,
    responses: { 200: { type: 'array', items: RESPONSE } },
    handler: async (req, res) => {
      const q = queryOf(req) as { skip: number; limit: number };
      const { rows, total } = await deps.queries.list(reader(req), q.skip, q.limit);
      res.setHeader('X-Total-Count', String(total));
      res.json(rows.map((r) => fromView(r, deps.webhooks)));
    },
  });
  registry.add({
    method: 'get',
    path: ITEM,
    access: { permission: () => 'sinas.webhooks.read:own' },
    summary: 'An event subscription and where its delivery stands',
    tags,
    params,
    responses: { 200: RESPONSE },
    handler: async (req, res) => {
      const row = await visible(req, 'read');
      res.setHeader('ETag', `"${row.version}"`);
      res.json(fromView(row, deps.webhooks));
    },
  });
  registry.add({
    method: 'patch',
    path: ITEM,
    access: { permission: () => 'sinas.webhooks.update:own' },
    summary: 'Change the url, filters, description or active flag',
    tags,
    params,
    body: updateSubscriptionSchema,
    responses: { 200: RESPONSE },
    handler: async (req, res) => {
      const { id } = req.params as { id: string };
      const r = await deps.service.update(id, req.body, caller(req, 'update'), ctx(req));
      await written(res, r.position);
      res.setHeader('ETag', `"${r.subscription.version}"`);
      res.json(fromWrite(r));
    },
  });
  registry.add({
    method: 'delete',
    path: ITEM,
    access: { permission: () => 'sinas.webhooks.delete:own' },
    summary: 'Delete an event subscription: delivery stops',
    tags,
    params,
    responses: { 204: undefined },
    handler: async (req, res) => {
      const { id } = req.params as { id: string };
      const r = await deps.service.remove(id, caller(req, 'delete'), ctx(req));
      await written(res, r.position);
      res.status(204).send();
    },
  });
  registry.add({
    method: 'get',
    path: `${ITEM}/deliveries`,
    access: { permission: () => 'sinas.webhooks.read:own' },
    summary: 'The delivery log: every attempt, oldest first',
    tags,
    params,
    query: paging,
    responses: { 200: { type: 'array', items: DELIVERY } },
    handler: async (req, res) => {
      const row = await visible(req, 'read');
      const q = queryOf(req) as { skip: number; limit: number };
      const { rows, total } = await deliveriesOf(deps.pool, row.id, q.skip, q.limit);
      res.setHeader('X-Total-Count', String(total));
      res.json(rows.map(fromDelivery));
    },
  });
  registry.add({
    method: 'post',
    path: `${ITEM}/replay`,
    access: { permission: () => 'sinas.webhooks.update:own' },
    summary: 'Re-deliver every matching event from a `$all` position (inclusive) on',
    tags,
    params,
    query: { from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 202: { type: 'object', properties: { from: { type: 'integer' } } } },
    handler: async (req, res) => {
      const row = await visible(req, 'update');
      const from = BigInt((queryOf(req).from as number | undefined) ?? 0);
      await resetCheckpoint(deps.pool, row.id, from);
      res.status(202).json({ from: Number(from) });
    },
  });
}

function fromWrite(r: SubscriptionWrite): Record<string, unknown> {
  const s = r.subscription;
  return {
    id: s.subscriptionId,
    url: s.url,
    event_types: s.eventTypes,
    categories: s.categories,
    description: s.description,
    active: s.active,
    scope: s.scope,
    user_id: s.ownerId,
    version: s.version,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    delivery: null,
  };
}

function fromView(r: SubscriptionView, config: WebhookConfig): Record<string, unknown> {
  const failures = r.failures ?? 0;
  return {
    id: r.id,
    url: r.url,
    event_types: r.event_types,
    categories: r.categories,
    description: r.description,
    active: r.active,
    scope: r.scope,
    user_id: r.owner_id,
    version: Number(r.version),
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
    delivery:
      r.cp_position === null
        ? null
        : {
            status: failures === 0 ? 'ok' : failures >= config.failingAfter ? 'failing' : 'retrying',
            position: Number(r.cp_position),
            failures,
            next_attempt_at: r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
            last_error: r.last_error,
          },
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
