/**
 * The states runtime API (reference §5.7), `/stores/{ns}/{name}/states`: create (400 for a key the
 * caller already has), list with filters, get one key (own, else shared; `?version=N` an earlier
 * write), update, delete. Each route needs the store's `read_state` or `write_state` permission;
 * the service decides how far it reaches. A key another user keeps private is a 404, as a missing
 * one is (the reference's 403 would tell that it exists).
 */
import type { Request } from 'express';
import { itemPermission, type PermissionMap } from '../commands/identity/permissions.js';
import type { StateService } from '../runtime/states/state-service.js';
import type { StateCaller } from '../runtime/states/state-rules.js';
import { principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type RouteRegistry } from './routes.js';

const EVERYTHING: PermissionMap = Object.freeze({ 'sinas.*:all': true });
const NAME = { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$', maxLength: 100 };
const KEY = { type: 'string', minLength: 1, maxLength: 255 };
const nullable = (s: Record<string, unknown>) => ({ anyOf: [s, { type: 'null' }] });
const fields = {
  value: {},
  visibility: { type: 'string', enum: ['private', 'shared'] },
  encrypted: { type: 'boolean' },
  description: nullable({ type: 'string', maxLength: 10_000 }),
  tags: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 100 } },
  relevance_score: { type: 'number', minimum: 0, maximum: 1 },
  expires_at: nullable({ type: 'string', format: 'date-time' }),
};
const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'value'],
  properties: { key: KEY, ...fields },
};
const updateBody = { type: 'object', additionalProperties: false, properties: fields };
const stateSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user_id: { type: 'string' },
    store_id: { type: 'string' },
    store_namespace: { type: 'string' },
    store_name: { type: 'string' },
    key: { type: 'string' },
    value: {},
    visibility: { type: 'string' },
    encrypted: { type: 'boolean' },
    description: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
    relevance_score: { type: 'number' },
    expires_at: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    version: { type: 'integer' },
  },
};
const tags = ['States'];
const base = '/stores/:namespace/:name/states';
const params = { namespace: NAME, name: NAME };

export function registerStateRoutes(registry: RouteRegistry, states: StateService): void {
  const access = (action: 'read_state' | 'write_state') => ({
    permission: (req: Request) =>
      itemPermission('stores', { namespaced: true, ...nsName(req) }, action, 'own'),
  });
  const store = (req: Request) => states.find(nsName(req).namespace, nsName(req).name);

  registry.add({
    method: 'post',
    path: base,
    access: access('write_state'),
    summary:
      "Create one of the caller's states (400 if they already have the key); sealed when the store or request asks",
    tags,
    params,
    body: createBody,
    responses: { 200: stateSchema },
    handler: async (req, res) => {
      const r = await states.write(callerOf(req), await store(req), req.body, 'create', commandIdOf(req));
      res.json(r.state);
    },
  });

  registry.add({
    method: 'get',
    path: base,
    access: access('read_state'),
    summary:
      'List the states the caller may see (their own and shared ones; with read_state:all, `owner=all` or a user id), not expired, most relevant first',
    tags,
    params,
    query: {
      search: { type: 'string', maxLength: 255 },
      tags: { type: 'string', maxLength: 2000 },
      min_relevance: { type: 'number', minimum: 0, maximum: 1 },
      owner: { type: 'string', maxLength: 100 },
      skip: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: stateSchema } },
    handler: async (req, res) => {
      const q = queryOf(req) as { search?: string; tags?: string; min_relevance?: number; owner?: string };
      const { skip, limit } = queryOf(req) as { skip: number; limit: number };
      const tagList = q.tags
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      res.json(
        await states.list(callerOf(req), [await store(req)], {
          ...(q.search ? { search: q.search } : {}),
          ...(tagList?.length ? { tags: tagList } : {}),
          ...(q.min_relevance !== undefined ? { minRelevance: q.min_relevance } : {}),
          ...(q.owner ? { owner: q.owner } : {}),
          skip,
          limit,
        }),
      );
    },
  });

  registry.add({
    method: 'get',
    path: `${base}/:key`,
    access: access('read_state'),
    summary: "The caller's own state with this key, else a shared one; `version` reads an earlier write",
    tags,
    params: { ...params, key: KEY },
    query: { version: { type: 'integer', minimum: 1, maximum: 1_000_000_000 } },
    responses: { 200: stateSchema },
    handler: async (req, res) => {
      const version = queryOf(req).version as number | undefined;
      res.json(await states.get(callerOf(req), await store(req), keyOf(req), version));
    },
  });

  registry.add({
    method: 'put',
    path: `${base}/:key`,
    access: access('write_state'),
    summary: "Update the caller's own state (the fields given); turning `encrypted` on seals it",
    tags,
    params: { ...params, key: KEY },
    body: updateBody,
    responses: { 200: stateSchema },
    handler: async (req, res) => {
      const body = { ...(req.body as Record<string, unknown>), key: keyOf(req) };
      const r = await states.write(callerOf(req), await store(req), body, 'update', commandIdOf(req));
      res.json(r.state);
    },
  });

  registry.add({
    method: 'delete',
    path: `${base}/:key`,
    access: access('write_state'),
    summary: "Delete the caller's own state; an encrypted state's data key is destroyed with it",
    tags,
    params: { ...params, key: KEY },
    responses: { 200: { type: 'object', properties: { message: { type: 'string' } } } },
    handler: async (req, res) => {
      const s = await store(req);
      await states.remove(callerOf(req), s, keyOf(req), commandIdOf(req));
      res.json({ message: `State '${keyOf(req)}' deleted from store '${s.namespace}/${s.name}'` });
    },
  });
}

const nsName = (req: Request) => req.params as { namespace: string; name: string };
const keyOf = (req: Request) => (req.params as { key: string }).key;

function callerOf(req: Request): StateCaller {
  const p = principalOf(req);
  return { userId: p.userId, permissions: p.isAdmin ? EVERYTHING : p.permissions };
}
