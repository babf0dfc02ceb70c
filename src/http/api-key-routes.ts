/**
 * API key management routes (reference §1.2): a user creates keys for themselves, optionally narrowed
 * to a permission map that must be a subset of their own (checked, unlike the original), with an
 * optional expiry; lists and revokes them. The plaintext key is returned once, at creation. What is
 * allowed and recorded is the API key service's (src/commands/api-key); this module only maps HTTP.
 */
import type { Request } from 'express';
import type { ApiKeyService, NewApiKey } from '../commands/api-key/api-key-service.js';
import { NotFoundError } from '../errors.js';
import type { ApiKeyQueries, ApiKeyRow } from '../projections/api-key-queries.js';
import { holds, principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import type { RouteRegistry } from './routes.js';

export interface ApiKeyRouteDeps {
  readonly service: ApiKeyService;
  readonly queries: ApiKeyQueries;
}

const tags = ['API keys'];
const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user_id: { type: 'string' },
    name: { type: 'string' },
    key_prefix: { type: 'string' },
    permissions: { type: ['object', 'null'] },
    is_active: { type: 'boolean' },
    last_used_at: { type: ['string', 'null'] },
    expires_at: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    revoked_at: { type: ['string', 'null'] },
  },
};
const idParam = { key_id: { type: 'string', format: 'uuid' } };
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function keyResponse(r: ApiKeyRow) {
  const expired = r.expires_at !== null && new Date(r.expires_at).getTime() <= Date.now();
  return {
    id: r.id,
    user_id: r.user_id,
    name: r.name,
    key_prefix: r.prefix,
    permissions: r.permissions,
    is_active: r.revoked_at === null && !expired,
    last_used_at: iso(r.last_used_at),
    expires_at: iso(r.expires_at),
    created_at: iso(r.created_at),
    revoked_at: iso(r.revoked_at),
  };
}

export function registerApiKeyRoutes(registry: RouteRegistry, d: ApiKeyRouteDeps): void {
  const own = async (req: Request, action: 'read' | 'delete') => {
    const row = await d.queries.get(req.params.key_id as string);
    const p = principalOf(req);
    if (!row || (row.user_id !== p.userId && !holds(req, `sinas.api_keys.${action}:all`)))
      throw new NotFoundError('API key not found');
    return row;
  };
  const ctx = (req: Request) => ({ commandId: commandIdOf(req), actor: principalOf(req).userId });

  registry.add({
    method: 'post',
    path: '/api/v1/api-keys',
    access: { permission: () => 'sinas.api_keys.create:own' },
    summary: 'Create an API key for yourself (the key is shown once)',
    tags,
    body: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        /** omitted: the key acts with your role permissions; a map narrows it (a subset of yours) */
        permissions: { type: 'object', additionalProperties: { type: 'boolean' } },
        expires_at: { type: 'string', format: 'date-time' },
      },
    },
    responses: { 201: { ...keySchema, properties: { ...keySchema.properties, key: { type: 'string' } } } },
    handler: async (req, res) => {
      const p = principalOf(req);
      const held = p.isAdmin ? { 'sinas.*:all': true, ...p.permissions } : p.permissions;
      const { id, key } = await d.service.create(req.body as NewApiKey, { userId: p.userId, held }, ctx(req));
      res.status(201).json({ ...keyResponse((await d.queries.get(id))!), key });
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/api-keys',
    access: { permission: () => 'sinas.api_keys.read:own' },
    summary: 'Your API keys, newest first (with sinas.api_keys.read:all, everyone’s)',
    tags,
    responses: { 200: { type: 'array', items: keySchema } },
    handler: async (req, res) => {
      const all = holds(req, 'sinas.api_keys.read:all');
      res.json((await d.queries.list(all ? undefined : principalOf(req).userId)).map(keyResponse));
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/api-keys/:key_id',
    access: { permission: () => 'sinas.api_keys.read:own' },
    summary: 'One of your API keys',
    tags,
    params: idParam,
    responses: { 200: keySchema },
    handler: async (req, res) => void res.json(keyResponse(await own(req, 'read'))),
  });
  registry.add({
    method: 'delete',
    path: '/api/v1/api-keys/:key_id',
    access: { permission: () => 'sinas.api_keys.delete:own' },
    summary: 'Revoke one of your API keys (it stops working at once in this process, within 5 s elsewhere)',
    tags,
    params: idParam,
    responses: { 204: undefined },
    handler: async (req, res) => {
      await d.service.revoke((await own(req, 'delete')).id, ctx(req));
      res.status(204).send();
    },
  });
}
