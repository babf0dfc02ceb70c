/**
 * Who may call a kind's routes and see its items, by the kind's ownership model (resource-kind.ts):
 * the access each route declares, the caller a command carries, the rows a list shows, and the item
 * a request names (404 when the caller may not know it, 403 when they may see but not act).
 */
import type { Request } from 'express';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { canAct, listScope, requiredForCreate } from '../commands/identity/permissions.js';
import {
  byId,
  keyFieldOf,
  labelOf,
  namespaceName,
  ownershipOf,
  SHARED_NAMESPACE,
  type ResourceKind,
} from '../commands/resource/resource-kind.js';
import type { Actor, ResourceService } from '../commands/resource/resource-service.js';
import type { ListOptions, ResourceQueries, ResourceRow } from '../projections/resource-queries.js';
import { holds, principalOf } from './auth.js';
import { queryOf, type Access } from './routes.js';

export interface Named {
  /** undefined: the caller's private item of that name, else the shared one (visibility kinds) */
  readonly namespace: string | undefined;
  readonly name: string;
}

export interface Found {
  readonly namespace: string;
  readonly name: string;
  readonly ownerId: string;
  readonly row?: ResourceRow;
}

export interface KindAccess {
  route(action: string): Access;
  /** the item a request's path (and `?visibility=`) names */
  named(req: Request): Named;
  /** the caller as commands carry it */
  caller(req: Request, action: string): Actor;
  /** refuses a create the caller may not make where the route's access cannot tell */
  checkCreate(req: Request): void;
  /** the rows a list may show; 'none': nothing */
  listFilter(req: Request): Pick<ListOptions, 'visibleTo' | 'namespace'> | 'none';
  /** the item, when the caller may `action` it; else 404 (or 403 where they may know it exists) */
  find(req: Request, action: string): Promise<Found>;
}

export function kindAccess(
  kind: ResourceKind,
  service: ResourceService,
  queries: ResourceQueries,
): KindAccess {
  const ownership = ownershipOf(kind);
  const resource = kind.resource;
  const key = keyFieldOf(kind);
  const missing = (name: string) =>
    new NotFoundError(
      byId(kind) ? `${labelOf(kind)} not found` : `${labelOf(kind)} '${name}' not found`,
      key,
    );
  const named = (req: Request): Named => {
    const p = req.params as Record<string, string | undefined>;
    if (byId(kind)) return { namespace: 'default', name: p.id! };
    if (ownership === 'visibility') {
      const ns = queryOf(req)[namespaceName(kind)!] as string | undefined;
      return { namespace: ns, name: p[key]! };
    }
    return { namespace: p.namespace ?? 'default', name: p[key]! };
  };
  const caller = (req: Request, action: string): Actor => {
    const p = principalOf(req);
    const isAdmin = ownership === 'owner' ? holds(req, `sinas.${resource}.${action}:all`) : p.isAdmin;
    return { userId: p.userId, isAdmin, holds: (permission) => holds(req, permission) };
  };
  const base = { named, caller };
  switch (ownership) {
    case 'grants':
      return { ...base, ...grants(kind, service, queries, named) };
    case 'owner':
      return {
        ...base,
        route: (action) => ({ permission: () => `sinas.${resource}.${action}:own` }),
        checkCreate: () => undefined,
        listFilter: (req) =>
          holds(req, `sinas.${resource}.read:all`)
            ? {}
            : { visibleTo: { ownerId: principalOf(req).userId, namespaces: [] } },
        async find(req, action) {
          const { namespace, name } = named(req);
          // by id, or (a kind addressed by name: schedules) by namespace and name
          const row = await queries.get(kind, namespace ?? 'default', name);
          const mayAll = holds(req, `sinas.${resource}.${action}:all`);
          if (!row || (!mayAll && row.owner_id !== principalOf(req).userId)) throw missing(name);
          return { namespace: namespace ?? 'default', name, ownerId: row.owner_id, row };
        },
      };
    case 'visibility':
      return {
        ...base,
        route: (action) => ({ permission: () => `sinas.${resource}.${action}:own` }),
        checkCreate: () => undefined,
        listFilter: (req) => {
          const p = principalOf(req);
          const ns = queryOf(req)[namespaceName(kind)!] as string | undefined;
          return {
            ...(ns !== undefined ? { namespace: ns } : {}),
            ...(p.isAdmin ? {} : { visibleTo: { ownerId: p.userId, namespaces: [SHARED_NAMESPACE] } }),
          };
        },
        async find(req) {
          const { namespace, name } = named(req);
          const row = await queries.resolve(kind, name, principalOf(req).userId, namespace);
          if (!row) throw missing(name);
          const item = queries.record(kind, row);
          return { namespace: item.namespace, name, ownerId: item.ownerId, row };
        },
      };
    default: {
      const unreachable: never = ownership;
      return unreachable;
    }
  }
}

/** Permission strings per namespace and item (§1.4); administrator-only kinds need `:all`. */
function grants(
  kind: ResourceKind,
  service: ResourceService,
  queries: ResourceQueries,
  named: (req: Request) => Named,
): Omit<KindAccess, 'named' | 'caller'> {
  const resource = kind.resource;
  const namespaced = kind.namespaced !== false;
  const authorize = (req: Request, action: string, r: Found) => {
    if (kind.adminOnly) return;
    const p = principalOf(req);
    if (p.isAdmin) return;
    const item = namespaced
      ? { namespaced: true as const, namespace: r.namespace, name: r.name }
      : { namespaced: false as const };
    // a kind's visibility opens reading only (resource-kind.ts `visibilityField`)
    const field = action === 'read' ? kind.visibilityField : undefined;
    const visibility = field ? String(r.row?.spec[field] ?? 'private') : undefined;
    const who = { ownerId: r.ownerId, callerId: p.userId, ...(visibility ? { visibility } : {}) };
    if (!canAct(p.permissions, { ...item, resource, action, ...who }))
      throw new ForbiddenError(`Not authorized to ${action} this ${labelOf(kind)}`);
  };
  return {
    // administrator-managed kinds need `sinas.<resource>.<action>:all`; others check ownership per
    // item (a narrowed API key must grant the action on some item to get that far)
    route: (action) =>
      kind.adminOnly
        ? { permission: () => `sinas.${resource}.${action}:all` }
        : { signedIn: [`sinas.${resource}.${action}:own`] },
    checkCreate(req) {
      const b = req.body as { namespace?: string; name: string };
      // unlike the original, the namespaced grants of the Users role satisfy this (reference §1.5 quirk)
      if (namespaced && !holds(req, requiredForCreate(resource, b.namespace ?? 'default', b.name)))
        throw new ForbiddenError(`Not authorized to create a ${labelOf(kind)} in this namespace`);
      // a kind without namespaces (inbound webhooks): the kind's own create permission
      if (!namespaced && !kind.adminOnly && !holds(req, `sinas.${resource}.create:own`))
        throw new ForbiddenError(`Not authorized to create a ${labelOf(kind)}`);
    },
    listFilter(req) {
      const p = principalOf(req);
      const q = queryOf(req) as { namespace?: string };
      const scope =
        kind.adminOnly || p.isAdmin
          ? ({ kind: 'all' } as const)
          : listScope(p.permissions, { resource, action: 'read', namespaced, callerId: p.userId });
      if (scope.kind === 'none') return 'none';
      return {
        ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
        ...(scope.kind === 'own'
          ? { visibleTo: { ownerId: scope.ownerId, namespaces: scope.namespaces } }
          : {}),
      };
    },
    async find(req, action) {
      const { namespace = 'default', name } = named(req);
      const row = await queries.get(kind, namespace, name);
      // not projected yet (or deleted: 404)
      const ownerId = row ? row.owner_id : (await service.at(namespace, name)).ownerId;
      const found = { namespace, name, ownerId, ...(row ? { row } : {}) };
      authorize(req, action, found);
      return found;
    },
  };
}
