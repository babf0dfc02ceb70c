/**
 * The tools a chat's agent gets for its `enabled_agents` (reference §4.1): one
 * `call_agent_{ns}__{name}` per sub-agent the chat's user may read (`read:own`), never the agent
 * itself, taking `prompt`, the sub-agent's `input_schema` properties and `_chat_id` (resume a
 * sub-chat of this chat). The tool's target names the agent: the name is never parsed back.
 */
import { hasPermission, itemPermission, type PermissionMap } from '../../commands/identity/permissions.js';
import type { OfferedTool, ToolChat } from '../turns/tool-family.js';
import { agentsNamed, type AgentCatalogue, type FoundAgent } from './agent-catalogue.js';

export const SUBAGENT_FAMILY = 'agent';

/** each part lowercased, spaces and `-` → `_` */
const part = (s: string) => s.toLowerCase().replace(/[\s-]/g, '_');
export const subagentToolName = (namespace: string, name: string) =>
  `call_agent_${part(namespace)}__${part(name)}`;

/** `sinas.agents/ns/name.<action>:<scope>` */
export const agentPermission = (
  a: { namespace: string; name: string },
  action: string,
  scope: 'own' | 'all',
) => itemPermission('agents', { namespaced: true, namespace: a.namespace, name: a.name }, action, scope);

export interface OfferDeps {
  readonly catalogue: AgentCatalogue;
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

export const enabledAgentsOf = (chat: ToolChat) => (chat.agentSpec.enabled_agents ?? []) as string[];

export async function offerSubagents(d: OfferDeps, chat: ToolChat): Promise<OfferedTool[]> {
  const refs = enabledAgentsOf(chat);
  if (refs.length === 0) return [];
  const [agents, permissions] = await Promise.all([
    agentsNamed(d.catalogue, refs),
    d.permissionsOf(chat.userId),
  ]);
  const self = (a: FoundAgent) => a.namespace === chat.agent.namespace && a.name === chat.agent.name;
  return agents
    .filter((a) => !self(a) && hasPermission(permissions, agentPermission(a, 'read', 'own')))
    .map(toolOf);
}

function toolOf(a: FoundAgent): OfferedTool {
  const ref = `${a.namespace}/${a.name}`;
  const description = typeof a.spec.description === 'string' && a.spec.description ? a.spec.description : '';
  const schema = (a.spec.input_schema ?? {}) as { properties?: Record<string, unknown>; required?: string[] };
  const properties = {
    prompt: { type: 'string', description: 'What to ask the agent' },
    ...(schema.properties ?? {}),
    _chat_id: { type: 'string', description: 'Resume an earlier sub-chat of this chat (its chat_id)' },
  };
  const required = ['prompt', ...(schema.required ?? []).filter((r) => r !== 'prompt')];
  return {
    tool: {
      type: 'function',
      function: {
        name: subagentToolName(a.namespace, a.name),
        description: description ? `${a.name}: ${description}` : `Call the ${a.name} agent`,
        parameters: { type: 'object', properties, required },
      },
    },
    target: { family: SUBAGENT_FAMILY, ref: { namespace: a.namespace, name: a.name, id: a.id } },
    status: { key: `agent:${ref}`, fallback: `Calling ${ref}` },
  };
}
