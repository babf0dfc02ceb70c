/**
 * The Skill kind's routes: the kit's management routes under /api/v1/skills, plus the runtime's
 * discovery `GET /skills` (reference §5.6): the active skills the caller may read, shown as the
 * management list shows them (the same filter, so neither can show what the other hides).
 */
import type { RouteRegistry } from './routes.js';
import { queryOf } from './routes.js';
import { kindAccess } from './resource-access.js';
import { registerResourceRoutes, toResponse, type ResourceRouteDeps } from './resources.js';
import { responseSchema } from './resource-responses.js';

export function registerSkillRoutes(registry: RouteRegistry, d: ResourceRouteDeps): void {
  registerResourceRoutes(registry, d);
  const kind = d.service.kind;
  const access = kindAccess(kind, d.service, d.queries);
  registry.add({
    method: 'get',
    path: '/skills',
    access: access.route('read'),
    summary: 'The active skills you may read (discovery for agents and front ends)',
    tags: ['Skills'],
    query: {
      namespace: { type: 'string', pattern: kind.namespacePattern, maxLength: kind.nameMaxLength },
      skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: responseSchema(kind) } },
    handler: async (req, res) => {
      const q = queryOf(req) as { skip: number; limit: number; namespace?: string };
      const filter = access.listFilter(req);
      if (filter === 'none') {
        res.setHeader('X-Total-Count', '0');
        res.json([]);
        return;
      }
      const { rows, total } = await d.queries.list(kind, { skip: q.skip, limit: q.limit, ...filter });
      res.setHeader('X-Total-Count', String(total));
      res.json(rows.map((r) => toResponse(kind, d.queries.record(kind, r))));
    },
  });
}
