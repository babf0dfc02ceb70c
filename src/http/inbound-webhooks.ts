/**
 * The runtime side of inbound webhooks (reference §5.10): `<METHOD> /webhooks/<path>`, the path
 * free to contain slashes. An active webhook is found by path (404), then its method (405 with `Allow`),
 * body size (413) and per-webhook rate (429 with `Retry-After`) are checked, then who runs it:
 * the caller's credentials when it `requires_auth` (401 without), else its owner. The answer is
 * what the delivery's run came to: 200 with the result (sync), 202 with the execution id (async or
 * paused), or a 502 problem naming why the function failed. A replayed dedup answer says
 * `Webhook-Deduplicated: true`.
 */
import type { Request, Response } from 'express';
import {
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UpstreamError,
  ValidationError,
} from '../errors.js';
import type { Caller } from '../commands/execution/execution-service.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import type { InboundWebhookConfig } from '../runtime/config.js';
import type { Answer } from '../runtime/inbound-webhooks/delivery-claims.js';
import type { WebhookDeliveries } from '../runtime/inbound-webhooks/webhook-deliveries.js';
import { HttpProblem } from './problem.js';
import type { Method, RouteRegistry } from './routes.js';

/** Counts a webhook's deliveries in the current window (the Postgres rate limiter: every API process). */
export interface DeliveryCounter {
  hit(bucket: string, windowMs: number): Promise<{ count: number; retryAfterS: number }>;
}

export interface InboundWebhookDeps {
  readonly kind: ResourceKind;
  readonly queries: ResourceQueries;
  readonly deliveries: WebhookDeliveries;
  readonly counter: DeliveryCounter;
  readonly limits: InboundWebhookConfig;
}

const METHODS: readonly Method[] = ['get', 'post', 'put', 'patch', 'delete'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVERYTHING = Object.freeze({ 'sinas.*:all': true });

const answerSchema = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    execution_id: { type: 'string' },
    result: {},
    status: { type: 'string' },
    deduplicated: { type: 'boolean' },
  },
};

export function registerInboundWebhookRoutes(registry: RouteRegistry, d: InboundWebhookDeps): void {
  for (const method of METHODS)
    registry.add({
      method,
      path: '/webhooks/*path',
      public: true,
      credentials: 'optional',
      summary:
        "Deliver to an inbound webhook: runs its function as the caller (requires_auth) or as the webhook's owner",
      tags: ['Webhooks'],
      params: { path: { type: 'string', maxLength: 255 } },
      responses: { 200: answerSchema, 202: answerSchema },
      handler: (req, res) => deliver(d, req, res),
    });
}

async function deliver(d: InboundWebhookDeps, req: Request, res: Response): Promise<void> {
  const path = (req.params as { path: string }).path;
  const row = await d.queries.get(d.kind, 'default', path);
  const webhook = row ? d.queries.record(d.kind, row) : undefined;
  // an inactive webhook is kept but, as the reference has it, not there for deliveries
  if (!webhook || webhook.spec.is_active === false)
    throw new HttpProblem({
      title: 'Not found',
      status: 404,
      detail: `no active webhook at /webhooks/${path}`,
      field: 'path',
    });
  const spec = webhook.spec;
  if (spec.http_method !== req.method) {
    res.setHeader('Allow', String(spec.http_method));
    throw new HttpProblem({
      title: 'Method not allowed',
      status: 405,
      detail: `this webhook takes ${String(spec.http_method)}`,
    });
  }
  checkSize(req, d.limits.bodyLimitBytes);
  const hit = await d.counter.hit(`webhook:${webhook.id}`, 60_000);
  if (hit.count > d.limits.ratePerMinute)
    throw new RateLimitedError(
      `more than ${d.limits.ratePerMinute} deliveries a minute to this webhook`,
      hit.retryAfterS,
    );
  const runAs = spec.requires_auth === false ? { userId: webhook.ownerId } : callerOf(req);
  const { answer, replayed } = await d.deliveries.deliver({
    webhook,
    incoming: {
      method: req.method,
      json: req.is('application/json') || req.is('application/*+json') ? req.body : undefined,
      query: req.query as Record<string, unknown>,
      header: (name) => req.get(name),
    },
    runAs,
    ...chatIdOf(req),
  });
  if (replayed) res.setHeader('Webhook-Deduplicated', 'true');
  respond(res, answer);
}

function respond(res: Response, a: Answer): void {
  switch (a.outcome) {
    case 'completed':
      res.status(200).json({ success: true, execution_id: a.executionId, result: a.result ?? null });
      return;
    case 'queued':
      res.status(202).json({ execution_id: a.executionId });
      return;
    case 'awaiting_input':
      res.status(202).json({ execution_id: a.executionId, status: 'awaiting_input' });
      return;
    case 'failed':
      throw new UpstreamError(
        `Function execution failed: ${a.error ?? 'unknown error'} (execution ${a.executionId})`,
      );
    default: {
      const unreachable: never = a.outcome;
      return unreachable;
    }
  }
}

/** The authenticated caller (the optional-credentials step authenticated whoever sent a credential). */
function callerOf(req: Request): Caller {
  const p = (
    req as Request & { principal?: { userId: string; isAdmin: boolean; permissions: Caller['permissions'] } }
  ).principal;
  if (!p)
    throw new UnauthorizedError(
      'this webhook requires authentication: send an access token in Authorization: Bearer, or an API key in X-API-Key',
      'Authorization',
    );
  return { userId: p.userId, isAdmin: p.isAdmin, permissions: p.isAdmin ? EVERYTHING : p.permissions };
}

function checkSize(req: Request, limit: number): void {
  const declared = Number(req.get('content-length') ?? 0);
  const parsed = req.body === undefined ? 0 : Buffer.byteLength(JSON.stringify(req.body) ?? '');
  if (declared > limit || parsed > limit)
    throw new PayloadTooLargeError(`a webhook delivery's body may have at most ${limit} bytes`, 'body');
}

function chatIdOf(req: Request): { chatId?: string } {
  const id = req.get('x-chat-id');
  if (id === undefined) return {};
  if (!UUID.test(id)) throw new ValidationError('X-Chat-ID: expected a chat id (a uuid)', 'X-Chat-ID');
  return { chatId: id };
}
