/**
 * The inbound Webhook kind (reference §5.10) on the kit: a `path` (its name; slashes allowed, unique
 * across all users, a second create of one a 400 naming `path`) that runs a function when called
 * at `<METHOD> /webhooks/<path>`, and is managed at `/api/v1/webhooks/<path>` by its owner (or
 * whoever holds `sinas.webhooks.<action>:all`). `is_active: false` keeps it, listed, but a delivery
 * finds nothing (404). A save checks that the function exists and that the saver may run it, and
 * answers 404 naming the field otherwise, so a save never tells anyone that someone else's function
 * exists. Deliveries are run by runtime/inbound-webhooks/.
 */
import { NotFoundError } from '../../errors.js';
import type { ExecutePolicy } from '../execution/execute-policy.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';

export const WEBHOOK_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

/** A path: segments of URL-safe characters separated by single slashes, no leading or trailing one. */
export const WEBHOOK_PATH = '^[A-Za-z0-9_.~-]+(/[A-Za-z0-9_.~-]+)*$';
const IDENT = '^[a-zA-Z_][a-zA-Z0-9_]*$';

/** Where a delivery's dedup key comes from: a JSON path into the body, or a header. */
export const DEDUP_KEY = '^(\\$(\\.[A-Za-z0-9_-]+)+|header:[A-Za-z0-9-]+)$';

/** `dedup`'s schema: `{key, <ttl>}` or null; the API names the TTL `ttl_seconds`, config `ttlSeconds` */
export function dedupSchema(ttl: 'ttl_seconds' | 'ttlSeconds') {
  return {
    anyOf: [
      {
        type: 'object',
        additionalProperties: false,
        required: ['key'],
        properties: {
          key: { type: 'string', pattern: DEDUP_KEY, maxLength: 255 },
          [ttl]: { type: 'integer', minimum: 1, maximum: 86_400, default: 300 },
        },
      },
      { type: 'null' },
    ],
  } as const;
}

export const webhookKind: ResourceKind = {
  type: 'Webhook',
  label: 'webhook',
  category: 'webhook',
  table: 'webhooks',
  path: 'webhooks',
  resource: 'webhooks',
  namespaced: false,
  nameField: { name: 'path', slashes: true },
  duplicates: 'invalid',
  lifecycleApi: false,
  fields: {
    function_namespace: { type: 'string', pattern: IDENT, maxLength: 255, default: 'default' },
    function_name: { type: 'string', pattern: IDENT, maxLength: 255 },
    http_method: { type: 'string', enum: [...WEBHOOK_METHODS], default: 'POST' },
    description: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }], default: null },
    default_values: { type: 'object', default: {} },
    is_active: {
      type: 'boolean',
      default: true,
      description: 'false: kept, but deliveries find nothing (404)',
    },
    requires_auth: { type: 'boolean', default: true },
    response_mode: { type: 'string', enum: ['sync', 'async'], default: 'sync' },
    dedup: { ...dedupSchema('ttl_seconds'), default: null },
  },
  requiredFields: ['function_name'],
  namespacePattern: '^default$',
  namePattern: WEBHOOK_PATH,
  nameMaxLength: 255,
  updateMethods: ['patch'],
};

/** The kind's save check: the named function exists and the saver may run it (404 otherwise). */
export function webhookHooks(policy: ExecutePolicy): ResourceServiceOptions {
  return {
    async checkSpec(spec, ctx) {
      if (spec.function_name === undefined && spec.function_namespace === undefined) return;
      const ref = `${String(spec.function_namespace ?? 'default')}/${String(spec.function_name ?? '')}`;
      const fn = spec.function_name === undefined ? undefined : await policy.find(ref);
      if (!fn || !(await policy.allows({ userId: ctx.actor }, fn)))
        throw new NotFoundError(`function '${ref}' not found`, 'function_name');
    },
  };
}
