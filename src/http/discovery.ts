/**
 * The runtime's discovery routes (reference §2.2, §5.13): `GET /agents`, `/functions`, `/skills`,
 * `/collections`, `/templates` list the active items the caller may read, shown as the management
 * list shows them (the same filter, so neither can show what the other hides). A request that
 * names an application (`X-Application: ns/name` header, or `?app=ns/name`) sees only the
 * namespaces that application's manifest exposes for the type.
 */
import type { Request } from 'express';
import { NotFoundError, ValidationError } from '../errors.js';
import { exposedNamespaces, manifestKind, type Exposable } from '../commands/manifest/manifest-kind.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import { kindAccess } from './resource-access.js';
import { registerResourceRoutes, toResponse, type ResourceRouteDeps } from './resources.js';
import { responseSchema } from './resource-responses.js';
import { queryOf, type RouteRegistry } from './routes.js';

const APP_REF = '^[a-zA-Z][a-zA-Z0-9_-]*/[a-zA-Z][a-zA-Z0-9_-]*$';

/** A kind's management routes plus its discovery route. */
export function registerWithDiscovery(registry: RouteRegistry, d: ResourceRouteDeps): void {
  registerResourceRoutes(registry, d);
  registerDiscovery(registry, d);
}

/** `GET /<kind path>`: what the caller may read, narrowed to an application's namespaces. */
export function registerDiscovery(registry: RouteRegistry, d: ResourceRouteDeps): void {
  const kind = d.service.kind;
  const access = kindAccess(kind, d.service, d.queries);
  registry.add({
    method: 'get',
    path: `/${kind.path}`,
    access: access.route('read'),
    summary: `The active ${kind.path} you may read (discovery; X-Application or ?app= narrows to an application's namespaces)`,
    tags: [kind.tag ?? kind.type],
    query: {
      namespace: { type: 'string', pattern: kind.namespacePattern, maxLength: kind.nameMaxLength },
      app: { type: 'string', pattern: APP_REF, maxLength: 511 },
      skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: responseSchema(kind) } },
    handler: async (req, res) => {
      const q = queryOf(req) as { skip: number; limit: number };
      const filter = access.listFilter(req);
      const namespaces = await appNamespaces(d.queries, req, kind.path as Exposable);
      if (filter === 'none' || namespaces?.length === 0) {
        res.setHeader('X-Total-Count', '0');
        res.json([]);
        return;
      }
      const { rows, total } = await d.queries.list(kind, {
        skip: q.skip,
        limit: q.limit,
        ...filter,
        ...(namespaces ? { namespaces } : {}),
      });
      res.setHeader('X-Total-Count', String(total));
      res.json(rows.map((r) => toResponse(kind, d.queries.record(kind, r))));
    },
  });
}

/**
 * The namespaces the named application exposes for `type` (undefined: no application named, or
 * it exposes every namespace). An application that does not exist is a 404, a malformed name a 400.
 */
async function appNamespaces(
  queries: ResourceQueries,
  req: Request,
  type: Exposable,
): Promise<string[] | undefined> {
  const header = req.get('x-application');
  const ref = header ?? (queryOf(req).app as string | undefined);
  if (ref === undefined) return undefined;
  const field = header !== undefined ? 'X-Application' : 'app';
  if (ref.length > 511 || !new RegExp(APP_REF).test(ref))
    throw new ValidationError(`${field}: expected an application manifest as namespace/name`, field);
  const [namespace, name] = ref.split('/') as [string, string];
  const row = await queries.get(manifestKind, namespace, name);
  if (!row) throw new NotFoundError(`Manifest '${ref}' not found`, field);
  return exposedNamespaces(queries.record(manifestKind, row).spec, type);
}
