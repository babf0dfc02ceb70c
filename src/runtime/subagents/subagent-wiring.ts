/**
 * How sub-agents are built on the platform's parts: agents read from their streams (by name) and
 * the read model (wildcards, ids), the chat user's permissions read at each offer and call, sub-turn
 * jobs enqueued at once. The one place services, tests and the bench construct the family.
 */
import { agentKind } from '../../commands/agent/agent-kind.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore } from '../../events/event-store.js';
import type { IdentityQueries } from '../../projections/identity-queries.js';
import type { ResourceQueries } from '../../projections/resource-queries.js';
import type { JobQueue } from '../queue/job-queue.js';
import { renderOrRaw } from '../turns/templates.js';
import type { ToolFamily } from '../turns/tool-family.js';
import { enqueueTurn } from '../turns/turn-jobs.js';
import type { AgentCatalogue, FoundAgent } from './agent-catalogue.js';
import { subagentFamily } from './subagent-family.js';

export interface SubagentParts {
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly agents: ResourceService;
  readonly resources: ResourceQueries;
  readonly identity: Pick<IdentityQueries, 'permissionsOf'>;
  readonly queue: JobQueue;
  readonly maxDepth: number;
}

export function subagentFamilyOn(p: SubagentParts): ToolFamily {
  return subagentFamily({
    store: p.store,
    handler: p.handler,
    catalogue: agentCatalogue(p.agents, p.resources),
    permissionsOf: async (id) => (await p.identity.permissionsOf(id)).permissions,
    render: (template, vars) => renderOrRaw(template, vars),
    enqueue: (chatId, turnId) => enqueueTurn(p.queue, { chatId, turnId }),
    maxDepth: p.maxDepth,
  });
}

export function agentCatalogue(agents: ResourceService, resources: ResourceQueries): AgentCatalogue {
  const found = (a: { id: string; namespace: string; name: string; version: number; spec: unknown }) =>
    ({ ...a, spec: a.spec as FoundAgent['spec'] }) as FoundAgent;
  return {
    async byName(namespace, name) {
      const a = await agents.current(namespace, name);
      return a.status === 'active' ? found(a) : undefined;
    },
    async all(namespace) {
      return (await resources.all(agentKind, namespace)).map(found);
    },
    async byId(id) {
      const row = await resources.getById(agentKind, id);
      return row ? found(resources.record(agentKind, row)) : undefined;
    },
  };
}
