/**
 * The platform's configuration as one user may read it, for the `configIntrospection` tools: the
 * same read rules as the management API (src/http/resource-access.ts) decided from the user's
 * permissions instead of a request, and items shown as the API shows them (resource-responses.ts:
 * never a write-only or internal field). One rule is stricter than the API: an administrator sees
 * only their own private items of a `visibility` kind (secrets), never another user's.
 */
import {
  canAct,
  hasPermission,
  listScope,
  type PermissionMap,
} from '../../../commands/identity/permissions.js';
import {
  ownershipOf,
  PRIVATE_NAMESPACE,
  SHARED_NAMESPACE,
  type ResourceKind,
} from '../../../commands/resource/resource-kind.js';
import { toResponse } from '../../../http/resource-responses.js';
import type { ListOptions, ResourceQueries, ResourceRow } from '../../../projections/resource-queries.js';

/** A reader: the chat's user and what they hold. */
export interface Reader {
  readonly userId: string;
  readonly permissions: PermissionMap;
}

type Filter = Pick<ListOptions, 'visibleTo'> | 'none';

export class ConfigReader {
  constructor(private readonly queries: ResourceQueries) {}

  /** How many items of `kind` the reader may see. */
  async count(kind: ResourceKind, r: Reader): Promise<number> {
    const filter = listFilter(kind, r);
    if (filter === 'none') return 0;
    return (await this.queries.list(kind, { ...filter, skip: 0, limit: 1 })).total;
  }

  /** Up to `limit` items the reader may see, as API responses. */
  async list(kind: ResourceKind, r: Reader, namespace: string | undefined, limit: number) {
    const filter = listFilter(kind, r);
    if (filter === 'none') return [];
    const page = await this.queries.list(kind, {
      ...filter,
      ...(namespace !== undefined ? { namespace } : {}),
      skip: 0,
      limit,
    });
    return page.rows.map((row) => this.response(kind, row));
  }

  /** The item as the API shows it, or undefined when it is not there or not the reader's to see. */
  async get(kind: ResourceKind, r: Reader, namespace: string, name: string) {
    const row = await this.find(kind, r, namespace, name);
    return row && this.response(kind, row);
  }

  private async find(kind: ResourceKind, r: Reader, namespace: string, name: string) {
    const resource = kind.resource;
    const ownership = ownershipOf(kind);
    switch (ownership) {
      case 'grants': {
        const row = await this.queries.get(kind, namespace, name);
        if (!row) return undefined;
        if (kind.adminOnly) return holds(r, `sinas.${resource}.read:all`) ? row : undefined;
        const item =
          kind.namespaced === false
            ? { namespaced: false as const }
            : { namespaced: true as const, namespace, name };
        const may =
          isAdmin(r) ||
          canAct(r.permissions, {
            ...item,
            resource,
            action: 'read',
            ownerId: row.owner_id,
            callerId: r.userId,
          });
        return may ? row : undefined;
      }
      case 'owner': {
        const row = await this.queries.getById(kind, name);
        return row && (row.owner_id === r.userId || holds(r, `sinas.${resource}.read:all`)) ? row : undefined;
      }
      case 'visibility': {
        if (namespace !== PRIVATE_NAMESPACE && namespace !== SHARED_NAMESPACE) return undefined;
        return this.queries.resolve(kind, name, r.userId, namespace);
      }
      default: {
        const unreachable: never = ownership;
        return unreachable;
      }
    }
  }

  private response(kind: ResourceKind, row: ResourceRow) {
    return toResponse(kind, this.queries.record(kind, row));
  }
}

const isAdmin = (r: Reader) => hasPermission(r.permissions, 'sinas.*:all');
const holds = (r: Reader, permission: string) => isAdmin(r) || hasPermission(r.permissions, permission);

/** The rows of `kind` a list shows the reader (resource-access.ts `listFilter`, by ownership). */
function listFilter(kind: ResourceKind, r: Reader): Filter {
  const resource = kind.resource;
  const ownership = ownershipOf(kind);
  switch (ownership) {
    case 'grants': {
      if (kind.adminOnly) return holds(r, `sinas.${resource}.read:all`) ? {} : 'none';
      if (isAdmin(r)) return {};
      const scope = listScope(r.permissions, {
        resource,
        action: 'read',
        namespaced: kind.namespaced !== false,
        callerId: r.userId,
      });
      if (scope.kind === 'none') return 'none';
      return scope.kind === 'all'
        ? {}
        : { visibleTo: { ownerId: scope.ownerId, namespaces: scope.namespaces } };
    }
    case 'owner':
      return holds(r, `sinas.${resource}.read:all`)
        ? {}
        : { visibleTo: { ownerId: r.userId, namespaces: [] } };
    case 'visibility':
      // the reader's private items and the shared ones: never another user's private item
      return { visibleTo: { ownerId: r.userId, namespaces: [SHARED_NAMESPACE] } };
    default: {
      const unreachable: never = ownership;
      return unreachable;
    }
  }
}
