/**
 * The Template kind's management routes keyed by id (reference §5.12): `GET`, `PATCH`, `DELETE
 * /api/v1/templates/{template_id}`, `POST /{template_id}/render` and `GET /by-name/{ns}/{name}`, as
 * aliases of the namespace/name routes. An id route finds the template in the read model and answers
 * 404 unless the caller may read it (so a template they may not see is never revealed by a 403), then
 * runs the namespace/name route's own handler, with its checks and its answer, on that template.
 */
import type { Request } from 'express';
import { canAct } from '../commands/identity/permissions.js';
import { templateKind } from '../commands/template/template-kind.js';
import { NotFoundError } from '../errors.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import { principalOf } from './auth.js';
import type { RouteRegistry, RouteSpec } from './routes.js';

const BASE = '/api/v1/templates';
const ITEM = `${BASE}/:namespace/:name`;
const ID = { template_id: { type: 'string', format: 'uuid' } };

/** Registers the id routes; the namespace/name routes they stand for must be registered already. */
export function registerTemplateIdRoutes(registry: RouteRegistry, queries: ResourceQueries): void {
  const target = (method: RouteSpec['method'], path: string): RouteSpec => {
    const spec = registry.routes.find((r) => r.method === method && r.path === path);
    if (!spec) throw new Error(`${method.toUpperCase()} ${path} is not registered before its id alias`);
    return spec;
  };
  const alias = (method: RouteSpec['method'], suffix: string, action: string, summary: string) => {
    const spec = target(method, `${ITEM}${suffix}`);
    registry.add({
      ...spec,
      path: `${BASE}/:template_id${suffix}`,
      summary,
      params: ID,
      // what the aliased route asks of a narrowed key; the item's own check follows in the handler
      access: { signedIn: [`sinas.templates.${action}:own`] },
      handler: async (req, res) => {
        const t = await readable(req, queries);
        req.params = { namespace: t.namespace, name: t.name };
        await spec.handler(req, res);
      },
    });
  };
  alias('get', '', 'read', 'Get a template by id (or an earlier version with ?version=N)');
  alias('patch', '', 'update', 'Update a template by id (partial; If-Match for optimistic concurrency)');
  alias('delete', '', 'delete', 'Delete a template by id');
  alias('post', '/render', 'read', 'Preview a template by id rendered with `variables`');
  // first of all routes: `by-name/<ns>/versions` would otherwise be the versions of template `by-name/<ns>`
  registry.routes.unshift({
    ...target('get', ITEM),
    path: `${BASE}/by-name/:namespace/:name`,
    summary: 'Get a template by namespace and name',
  });
}

/** The template with the path's id, when the caller may read it; else a 404 naming `template_id`. */
async function readable(
  req: Request,
  queries: ResourceQueries,
): Promise<{ readonly namespace: string; readonly name: string }> {
  const row = await queries.getById(templateKind, (req.params as { template_id: string }).template_id);
  const t = row && queries.record(templateKind, row);
  const p = principalOf(req);
  const item = t && { namespaced: true as const, namespace: t.namespace, name: t.name };
  const may =
    item &&
    (p.isAdmin ||
      canAct(p.permissions, {
        ...item,
        resource: 'templates',
        action: 'read',
        ownerId: t.ownerId,
        callerId: p.userId,
      }));
  if (!t || !may) throw new NotFoundError('template not found', 'template_id');
  return t;
}
