/**
 * The management endpoints of a configuration resource kind under /api/v1/<path>: create, list,
 * get (optionally `?version=N`), partial update (If-Match), delete, and versions. Agents are the first.
 */
import type { Request, Response } from 'express';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { canAct, listScope, requiredForCreate, type ListScope } from '../commands/identity/permissions.js';
import { expectedRevisionOf } from '../commands/command-handler.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import type { ResourceService, WriteResult } from '../commands/resource/resource-service.js';
import { createSchema, updateSchema } from '../commands/resource/resource-schemas.js';
import type { ResourceData } from '../commands/resource/decider.js';
import type { JSONSchema } from '../commands/validation.js';
import type { ResourceQueries, ResourceRow } from '../projections/resource-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import { holds, principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type Access, type RouteRegistry, type RouteSpec } from './routes.js';

export interface ResourceRouteDeps {
  readonly service: ResourceService;
  readonly queries: ResourceQueries;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  /** permissions a create or update body needs beyond the route's (functions: shared_pool) */
  readonly extraPermission?: (body: unknown) => string | undefined;
}

export function registerResourceRoutes(target: RouteRegistry, deps: ResourceRouteDeps): void {
  const kind = deps.service.kind;
  const resource = kind.resource;
  const namespaced = kind.namespaced !== false;
  // administrator-managed kinds need `sinas.<resource>.<action>:all`; others check ownership per
  // item (a narrowed API key must grant the action on some item to get that far)
  const routeAccess = (action: string): Access =>
    kind.adminOnly
      ? { permission: () => `sinas.${resource}.${action}:all` }
      : { signedIn: [`sinas.${resource}.${action}:own`] };
  const registry = {
    add: (spec: Omit<RouteSpec, 'access'> & { action: string }) =>
      target.add({ access: routeAccess(spec.action), ...spec }),
  };
  /** 404 when missing, 403 when the caller may not `action` it (reference §1.4) */
  const authorize = (
    req: Request,
    action: string,
    r: { namespace: string; name: string; ownerId: string },
  ) => {
    if (kind.adminOnly) return;
    const p = principalOf(req);
    if (p.isAdmin) return;
    const item = namespaced
      ? { namespaced: true as const, namespace: r.namespace, name: r.name }
      : { namespaced: false as const };
    if (!canAct(p.permissions, { ...item, resource, action, ownerId: r.ownerId, callerId: p.userId }))
      throw new ForbiddenError(`Not authorized to ${action} this ${kind.type.toLowerCase()}`);
  };
  const extra = (req: Request) => {
    const needed = deps.extraPermission?.(req.body);
    if (needed && !holds(req, needed))
      throw new ForbiddenError(
        `this needs the permission ${needed}`,
        needed.includes('shared_pool') ? 'shared_pool' : undefined,
      );
  };
  const current = async (req: Request) => {
    const { namespace, name } = ident(req);
    const row = await deps.queries.get(kind, namespace, name);
    if (row) return { namespace, name, ownerId: row.owner_id };
    const then = await deps.service.at(namespace, name); // not projected yet (or deleted: 404)
    return { namespace, name, ownerId: then.ownerId };
  };
  const base = `/api/v1/${kind.path}`;
  const item = namespaced ? `${base}/:namespace/:name` : `${base}/:name`;
  const ident = (req: Request) => {
    const p = req.params as { namespace?: string; name: string };
    return { namespace: p.namespace ?? 'default', name: p.name };
  };
  const params = identityParams(kind);
  const response = responseSchema(kind);
  const tags = [kind.type];
  const write = async (req: Request, res: Response, status: number, run: () => Promise<WriteResult>) => {
    const r = await run();
    const consistent = await deps.waiter.waitFor([kind.table], r.position, deps.consistencyTimeoutMs);
    if (!consistent) res.setHeader('Sinas-Consistency', 'pending');
    if (r.position !== undefined) res.setHeader('Sinas-Position', String(r.position));
    res.setHeader('ETag', `"${r.resource.version}"`);
    if (status === 204) res.status(204).send();
    else res.status(status).json(toResponse(kind, r.resource));
  };
  const ctx = (req: Request) => ({
    commandId: commandIdOf(req),
    actor: principalOf(req).userId,
    correlationId: String(req.get('x-request-id') ?? '') || undefined,
    expectedRevision: ifMatch(req),
  });

  registry.add({
    action: 'create',
    method: 'post',
    path: base,
    summary: `Create a ${kind.type.toLowerCase()}`,
    tags,
    body: createSchema(kind),
    responses: { 201: response },
    handler: (req, res) => {
      const b = req.body as { namespace?: string; name: string };
      // unlike the original, the namespaced grants of the Users role satisfy this (reference §1.5 quirk)
      if (namespaced && !holds(req, requiredForCreate(resource, b.namespace ?? 'default', b.name)))
        throw new ForbiddenError(`Not authorized to create a ${kind.type.toLowerCase()} in this namespace`);
      extra(req);
      return write(req, res, 201, () => deps.service.create(req.body, ctx(req)));
    },
  });
  registry.add({
    action: 'read',
    method: 'get',
    path: base,
    summary: `List ${kind.path}`,
    tags,
    query: {
      ...(namespaced
        ? { namespace: { type: 'string', pattern: kind.namespacePattern, maxLength: kind.nameMaxLength } }
        : {}),
      skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: response } },
    handler: async (req, res) => {
      const q = queryOf(req) as { namespace?: string; skip: number; limit: number };
      const p = principalOf(req);
      const scope: ListScope =
        kind.adminOnly || p.isAdmin
          ? { kind: 'all' }
          : listScope(p.permissions, { resource, action: 'read', namespaced, callerId: p.userId });
      if (scope.kind === 'none') {
        res.setHeader('X-Total-Count', '0');
        res.json([]);
        return;
      }
      const { rows, total } = await deps.queries.list(kind, {
        ...q,
        ...(scope.kind === 'own'
          ? { visibleTo: { ownerId: scope.ownerId, namespaces: scope.namespaces } }
          : {}),
      });
      res.setHeader('X-Total-Count', String(total));
      res.json(rows.map((r) => toResponse(kind, fromRow(r))));
    },
  });
  registry.add({
    action: 'read',
    method: 'get',
    path: item,
    summary: `Get a ${kind.type.toLowerCase()} (or an earlier version with ?version=N; the first is 1)`,
    tags,
    params,
    query: { version: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 200: response },
    handler: async (req, res) => {
      const { namespace, name } = ident(req);
      const version = queryOf(req).version as number | undefined;
      authorize(req, 'read', await current(req));
      if (version !== undefined) {
        const then = await deps.service.at(namespace, name, version);
        res.setHeader('ETag', `"${then.version}"`);
        res.json({ ...toResponse(kind, then), is_active: then.status === 'active' });
        return;
      }
      const row = await deps.queries.get(kind, namespace, name);
      if (!row) throw new NotFoundError(`${kind.type} '${namespace}/${name}' not found`);
      res.setHeader('ETag', `"${row.version}"`);
      res.json(toResponse(kind, fromRow(row)));
    },
  });
  for (const method of ['put', 'patch'] as const) {
    registry.add({
      action: 'update',
      method,
      path: item,
      summary: `Update a ${kind.type.toLowerCase()} (partial; If-Match for optimistic concurrency)`,
      tags,
      params,
      body: updateSchema(kind),
      responses: { 200: response },
      handler: async (req, res) => {
        const { namespace, name } = ident(req);
        authorize(req, 'update', await current(req));
        extra(req);
        return write(req, res, 200, () => deps.service.update(namespace, name, req.body, ctx(req)));
      },
    });
  }
  registry.add({
    action: 'delete',
    method: 'delete',
    path: item,
    summary: `Delete a ${kind.type.toLowerCase()}`,
    tags,
    params,
    responses: { 204: undefined },
    handler: async (req, res) => {
      const { namespace, name } = ident(req);
      authorize(req, 'delete', await current(req));
      return write(req, res, 204, () => deps.service.remove(namespace, name, ctx(req)));
    },
  });
  registry.add({
    action: 'read',
    method: 'get',
    path: `${item}/versions`,
    summary: `Version history of a ${kind.type.toLowerCase()} from its event stream`,
    tags,
    params,
    responses: {
      200: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            version: { type: 'integer', minimum: 1 },
            type: { type: 'string' },
            changed: { type: 'array', items: { type: 'string' } },
            actor: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
    handler: async (req, res) => {
      const { namespace, name } = ident(req);
      authorize(req, 'read', await current(req));
      res.json(await deps.service.versions(namespace, name));
    },
  });
}

function identityParams(kind: ResourceKind): Record<string, JSONSchema> {
  const name: JSONSchema = { type: 'string', pattern: kind.namePattern, maxLength: kind.nameMaxLength };
  if (kind.namespaced === false) return { name };
  return {
    namespace: { type: 'string', pattern: kind.namespacePattern, maxLength: kind.nameMaxLength },
    name: { type: 'string', pattern: kind.namePattern, maxLength: kind.nameMaxLength },
  };
}

function responseSchema(kind: ResourceKind): JSONSchema {
  const props = { ...(createSchema(kind) as { properties: Record<string, JSONSchema> }).properties };
  for (const f of kind.writeOnlyFields ?? []) delete props[f];
  return {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      user_id: { type: 'string' },
      ...props,
      is_active: { type: 'boolean' },
      version: { type: 'integer', minimum: 1, description: 'counts from 1 (the ETag)' },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
      icon_url: { type: ['string', 'null'] },
    },
  };
}

function ifMatch(req: Request): bigint | undefined {
  const h = req.get('if-match');
  if (h === undefined) return undefined;
  const m = h.trim().match(/^(?:W\/)?"?(\d+)"?$/);
  if (!m) throw new ValidationError('If-Match: expected a version number such as "3"', 'If-Match');
  return expectedRevisionOf(Number(m[1]));
}

function fromRow(r: ResourceRow): ResourceData & { version: number } {
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    ownerId: r.owner_id,
    spec: r.spec,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    version: Number(r.version),
  };
}

export function toResponse(
  kind: ResourceKind,
  r: ResourceData & { version: number },
): Record<string, unknown> {
  const icon = r.spec.icon;
  const hidden = new Set(kind.writeOnlyFields ?? []);
  return {
    id: r.id,
    user_id: r.ownerId,
    ...(kind.namespaced !== false ? { namespace: r.namespace } : {}),
    name: r.name,
    ...Object.fromEntries(
      Object.keys(kind.fields)
        .filter((f) => !hidden.has(f))
        .map((f) => [f, r.spec[f] ?? null]),
    ),
    ...Object.fromEntries(
      [...hidden].map((f) => [`has_${f}`, r.spec[f] !== undefined && r.spec[f] !== null]),
    ),
    is_active: true,
    version: r.version,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    ...('icon' in kind.fields
      ? { icon_url: typeof icon === 'string' && icon.startsWith('url:') ? icon.slice(4) : null }
      : {}),
  };
}
