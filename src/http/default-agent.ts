/**
 * `GET /agents/default` (reference §2.2, §2.4): the active agent marked `is_default`, when the
 * caller may read it (as the management GET decides: a 403 when they may not, a 404 when no agent
 * is the default).
 */
import { ForbiddenError, NotFoundError } from '../errors.js';
import { canAct } from '../commands/identity/permissions.js';
import { agentKind } from '../commands/agent/agent-kind.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import { principalOf } from './auth.js';
import { responseSchema, toResponse } from './resource-responses.js';
import type { RouteRegistry } from './routes.js';

export function registerDefaultAgentRoute(registry: RouteRegistry, queries: ResourceQueries): void {
  registry.add({
    method: 'get',
    path: '/agents/default',
    access: { signedIn: ['sinas.agents.read:own'] },
    summary: 'The default agent (the active agent marked is_default)',
    tags: [agentKind.type],
    responses: { 200: responseSchema(agentKind) },
    handler: async (req, res) => {
      const [row] = await queries.flagged(agentKind, 'is_default');
      if (!row) throw new NotFoundError('No default agent configured');
      const agent = queries.record(agentKind, row);
      const p = principalOf(req);
      const may =
        p.isAdmin ||
        canAct(p.permissions, {
          namespaced: true,
          namespace: agent.namespace,
          name: agent.name,
          resource: agentKind.resource,
          action: 'read',
          ownerId: agent.ownerId,
          callerId: p.userId,
        });
      if (!may) throw new ForbiddenError('Not authorized to read the default agent');
      res.json(toResponse(agentKind, agent));
    },
  });
}
