/**
 * The management endpoints of a kind under /api/v1/<path>, derived from its definition: create,
 * list, get (optionally `?version=N`), partial update (If-Match), delete, and, on the resource API,
 * versions. Who may call what follows the kind's ownership (resource-access.ts).
 */
import type { Request, Response } from 'express';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { ResourceData } from '../commands/resource/decider.js';
import { hasLifecycleApi, labelOf, namespaceName } from '../commands/resource/resource-kind.js';
import type { KindContext, ResourceService, WriteResult } from '../commands/resource/resource-service.js';
import { createSchema, updateSchema } from '../commands/resource/resource-schemas.js';
import { expectedRevisionOf } from '../commands/command-handler.js';
import type { JSONSchema } from '../commands/validation.js';
import type { ResourceQueries, ResourceRow } from '../projections/resource-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import { holds, principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { idToName } from './id-or-name.js';
import { kindAccess } from './resource-access.js';
import {
  forList,
  identityParams,
  itemRoute,
  listItemSchema,
  pickerQuery,
  responseSchema,
  toResponse,
  versionResponse,
} from './resource-responses.js';
import { queryOf, type RouteRegistry, type RouteSpec } from './routes.js';
import { readYourWrites } from './read-your-writes.js';

export { toResponse } from './resource-responses.js';

/** Fields a kind adds to its responses from elsewhere (a subscription's delivery status). */
export interface Decoration {
  readonly schema: Readonly<Record<string, JSONSchema>>;
  /** `items` are the ones shown (their fields), `viewer` the caller's user id */
  of(
    ids: readonly string[],
    items: readonly Item[],
    viewer: string,
  ): Promise<ReadonlyMap<string, Readonly<Record<string, unknown>>>>;
}

export type Item = ResourceData & { version: number };

export interface ResourceRouteDeps {
  readonly service: ResourceService;
  readonly queries: ResourceQueries;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  /** permissions a create or update body needs beyond the route's (functions: shared_pool) */
  readonly extraPermission?: (body: unknown) => string | undefined;
  readonly decorate?: Decoration;
}

export function registerResourceRoutes(target: RouteRegistry, deps: ResourceRouteDeps): void {
  const { service, queries } = deps;
  const kind = service.kind;
  const access = kindAccess(kind, service, queries);
  const registry = {
    add: (spec: Omit<RouteSpec, 'access'> & { action: string }) =>
      target.add({ access: access.route(spec.action), ...spec }),
  };
  const label = labelOf(kind);
  const extra = (req: Request) => {
    const needed = deps.extraPermission?.(req.body);
    if (needed && !holds(req, needed))
      throw new ForbiddenError(
        `this needs the permission ${needed}`,
        needed.includes('shared_pool') ? 'shared_pool' : undefined,
      );
  };
  const base = `/api/v1/${kind.path}`;
  const item = itemRoute(kind);
  const params = identityParams(kind);
  const picker = pickerQuery(kind);
  const response = responseSchema(kind, deps.decorate?.schema);
  const tags = [kind.tag ?? kind.type];
  const shown = async (req: Request, items: readonly Item[]) => {
    const extras = await deps.decorate?.of(
      items.map((i) => i.id),
      items,
      principalOf(req).userId,
    );
    return items.map((i) => ({ ...toResponse(kind, i), ...extras?.get(i.id) }));
  };
  const write = async (req: Request, res: Response, status: number, r: WriteResult) => {
    await readYourWrites(deps, [kind.table], r.position, res);
    if (r.position !== undefined) res.setHeader('Sinas-Position', String(r.position));
    res.setHeader('ETag', `"${r.resource.version}"`);
    if (status === 204) res.status(204).send();
    else res.status(status).json({ ...(await shown(req, [r.resource]))[0], ...r.reply });
  };
  const ctx = (req: Request, action: string): KindContext => ({
    commandId: commandIdOf(req),
    actor: principalOf(req).userId,
    correlationId: String(req.get('x-request-id') ?? '') || undefined,
    expectedRevision: ifMatch(req),
    by: access.caller(req, action),
  });
  const fromRow = (r: ResourceRow): Item => queries.record(kind, r);
  const byIdToo = idToName(kind, queries);

  registry.add({
    action: 'create',
    method: 'post',
    path: base,
    summary: kind.upsert ? `Create a ${label}, or update your ${label} of that name` : `Create a ${label}`,
    tags,
    body: createSchema(kind),
    responses: { 201: response, ...(kind.upsert ? { 200: response } : {}) },
    handler: async (req, res) => {
      access.checkCreate(req);
      extra(req);
      const r = await service.create(req.body, ctx(req, 'create'));
      await write(req, res, kind.upsert && !r.created ? 200 : 201, r);
    },
  });
  registry.add({
    action: 'read',
    method: 'get',
    path: base,
    summary: `List ${kind.path}`,
    tags,
    query: {
      ...(namespaceName(kind) === 'namespace'
        ? { namespace: { type: 'string', pattern: kind.namespacePattern, maxLength: kind.nameMaxLength } }
        : picker),
      skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: listItemSchema(kind, deps.decorate?.schema) } },
    handler: async (req, res) => {
      const q = queryOf(req) as { skip: number; limit: number };
      const filter = access.listFilter(req);
      if (filter === 'none') {
        res.setHeader('X-Total-Count', '0');
        res.json([]);
        return;
      }
      const { rows, total } = await queries.list(kind, { skip: q.skip, limit: q.limit, ...filter });
      res.setHeader('X-Total-Count', String(total));
      res.json((await shown(req, rows.map(fromRow))).map((i) => forList(kind, i)));
    },
  });
  registry.add({
    action: 'read',
    method: 'get',
    path: item,
    summary: `Get a ${label} (or an earlier version with ?version=N)`,
    tags,
    params,
    query: { ...picker, version: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 200: response },
    handler: async (req, res) => {
      await byIdToo(req);
      const found = await access.find(req, 'read');
      const version = queryOf(req).version as number | undefined;
      if (version !== undefined) {
        const then = await service.at(found.namespace, found.name, version, found.ownerId);
        res.setHeader('ETag', `"${then.version}"`);
        res.json(versionResponse(kind, then));
        return;
      }
      if (!found.row) throw new NotFoundError(`${kind.type} '${found.namespace}/${found.name}' not found`);
      const one = fromRow(found.row);
      res.setHeader('ETag', `"${one.version}"`);
      res.json((await shown(req, [one]))[0]);
    },
  });
  for (const method of kind.updateMethods ?? (['put', 'patch'] as const)) {
    registry.add({
      action: 'update',
      method,
      path: item,
      summary: `Update a ${label} (partial; If-Match for optimistic concurrency)`,
      tags,
      params,
      query: picker,
      body: updateSchema(kind),
      responses: { 200: response },
      handler: async (req, res) => {
        await byIdToo(req);
        if (kind.ownership === undefined || kind.ownership === 'grants') await access.find(req, 'update');
        extra(req);
        const { namespace, name } = access.named(req);
        await write(req, res, 200, await service.update(namespace, name, req.body, ctx(req, 'update')));
      },
    });
  }
  registry.add({
    action: 'delete',
    method: 'delete',
    path: item,
    summary: `Delete a ${label}`,
    tags,
    params,
    query: picker,
    responses: { 204: undefined },
    handler: async (req, res) => {
      await byIdToo(req);
      if (kind.ownership === undefined || kind.ownership === 'grants') await access.find(req, 'delete');
      const { namespace, name } = access.named(req);
      await write(req, res, 204, await service.remove(namespace, name, ctx(req, 'delete')));
    },
  });
  if (hasLifecycleApi(kind)) registerVersions(registry, deps, item, params, tags);
}

function registerVersions(
  registry: { add(spec: Omit<RouteSpec, 'access'> & { action: string }): void },
  deps: ResourceRouteDeps,
  item: string,
  params: Record<string, JSONSchema>,
  tags: string[],
): void {
  const access = kindAccess(deps.service.kind, deps.service, deps.queries);
  registry.add({
    action: 'read',
    method: 'get',
    path: `${item}/versions`,
    summary: `Version history of a ${labelOf(deps.service.kind)} from its event stream`,
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
      await idToName(deps.service.kind, deps.queries)(req);
      const found = await access.find(req, 'read');
      res.json(await deps.service.versions(found.namespace, found.name, found.ownerId));
    },
  });
}

function ifMatch(req: Request): bigint | undefined {
  const h = req.get('if-match');
  if (h === undefined) return undefined;
  const m = h.trim().match(/^(?:W\/)?"?(\d+)"?$/);
  if (!m) throw new ValidationError('If-Match: expected a version number such as "3"', 'If-Match');
  return expectedRevisionOf(Number(m[1]!));
}
