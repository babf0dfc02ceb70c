/**
 * What a `model` means to the adapter (reference §7.1, §7.2). Agents are models `agent:ns/name`
 * (also addressable as `ns/name`); provider models are the providers' `default_model` and
 * `config.models` entries, the default provider's first. With no provider at all, the built-in
 * development model is the one provider model, as it is for agents (ProviderResolver).
 */
import { agentKind } from '../../commands/agent/agent-kind.js';
import { llmProviderKind } from '../../commands/llm-provider/llm-provider-kind.js';
import type { ResourceKind } from '../../commands/resource/resource-kind.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ResourceQueries, ResourceRow } from '../../projections/resource-queries.js';
import { DEV_MODEL } from '../../runtime/llm/dev-model.js';
import type { LlmEndpoint } from '../../runtime/llm/llm.js';
import type { ProviderResolver } from '../../runtime/turns/provider-resolver.js';
import type { ModelObject } from './wire.js';

export interface AgentTarget {
  readonly kind: 'agent';
  readonly namespace: string;
  readonly name: string;
}

export interface ProviderTarget {
  readonly kind: 'provider';
  readonly model: string;
  /** null: the development model */
  readonly providerId: string | null;
}

export type Target = AgentTarget | ProviderTarget;

interface ProviderModel {
  readonly model: string;
  readonly provider: string;
  readonly providerId: string | null;
  readonly created: number;
}

const AGENT_PREFIX = 'agent:';
const NAMESPACE = new RegExp(agentKind.namespacePattern);
const NAME = new RegExp(agentKind.namePattern);
const STARTED = Math.floor(Date.now() / 1000);

export const agentModelId = (a: { namespace: string; name: string }) =>
  `${AGENT_PREFIX}${a.namespace}/${a.name}`;

/** `agent:ns/name` or `ns/name`, when both parts are valid agent names. */
export function parseAgentId(id: string): { namespace: string; name: string } | undefined {
  const ref = id.startsWith(AGENT_PREFIX) ? id.slice(AGENT_PREFIX.length) : id;
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const namespace = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  return NAMESPACE.test(namespace) && NAME.test(name) ? { namespace, name } : undefined;
}

const createdOf = (row: ResourceRow) => Math.floor(new Date(row.created_at).getTime() / 1000);

export class ModelCatalog {
  constructor(
    private readonly queries: ResourceQueries,
    private readonly agents: ResourceService,
    private readonly resolver: ProviderResolver,
  ) {}

  /** Every active agent, then every provider model once. */
  async list(): Promise<ModelObject[]> {
    const [agents, providerModels] = await Promise.all([
      allRows(this.queries, agentKind),
      this.providerModels(),
    ]);
    const out = agents.map((a) => modelObject(agentModelId(a), createdOf(a), 'sinas-agent'));
    const seen = new Set(out.map((m) => m.id));
    for (const p of providerModels) {
      if (seen.has(p.model)) continue;
      seen.add(p.model);
      out.push(modelObject(p.model, p.created, `sinas-provider-${p.provider}`));
    }
    return out;
  }

  /** `ns/name` finds the agent before a provider model of that name, as completions do. */
  async find(id: string): Promise<ModelObject | undefined> {
    const all = await this.list();
    const ref = parseAgentId(id);
    const agent = ref && all.find((m) => m.id === agentModelId(ref));
    return agent ?? (id.startsWith(AGENT_PREFIX) ? undefined : all.find((m) => m.id === id));
  }

  /** What a completion request's `model` asks for; 404 (400 for a missing default) naming `model`. */
  async resolve(model: string | undefined): Promise<Target> {
    if (model === undefined) return this.defaultAgent();
    const ref = parseAgentId(model);
    if (ref && (await this.isActive(ref))) return { kind: 'agent', ...ref };
    if (model.startsWith(AGENT_PREFIX))
      throw new NotFoundError(`agent '${model.slice(AGENT_PREFIX.length)}' not found`, 'model');
    const served = (await this.providerModels()).find((p) => p.model === model);
    if (served) return { kind: 'provider', model, providerId: served.providerId };
    throw new NotFoundError(
      ref
        ? `no agent '${model}' and no provider serves a model of that name`
        : `no provider found for model '${model}'`,
      'model',
    );
  }

  /** The endpoint (with the decrypted key) that serves a provider model. */
  async endpoint(t: ProviderTarget): Promise<LlmEndpoint> {
    const resolved = await this.resolver.resolve({ llm_provider_id: t.providerId, model: t.model });
    return resolved.endpoint;
  }

  private async defaultAgent(): Promise<AgentTarget> {
    const [row] = await this.queries.flagged(agentKind, 'is_default');
    if (!row)
      throw new ValidationError('no default agent is configured: name a model (agent:ns/name)', 'model');
    return { kind: 'agent', namespace: row.namespace, name: row.name };
  }

  private async isActive(ref: { namespace: string; name: string }): Promise<boolean> {
    const agent = await this.agents
      .at(ref.namespace, ref.name)
      .catch((e) => (e instanceof NotFoundError ? undefined : Promise.reject(e)));
    return agent?.status === 'active';
  }

  private async providerModels(): Promise<ProviderModel[]> {
    const rows = await allRows(this.queries, llmProviderKind);
    if (rows.length === 0)
      return [{ model: DEV_MODEL, provider: 'development', providerId: null, created: STARTED }];
    const isDefault = (r: ResourceRow) => (r.spec.is_default === true ? 0 : 1);
    return [...rows]
      .sort((a, b) => isDefault(a) - isDefault(b))
      .flatMap((r) =>
        [r.spec.default_model, ...((r.spec.config as { models?: unknown[] } | undefined)?.models ?? [])]
          .filter((m): m is string => typeof m === 'string' && m !== '')
          .map((model) => ({ model, provider: r.name, providerId: r.id, created: createdOf(r) })),
      );
  }
}

function modelObject(id: string, created: number, owned_by: string): ModelObject {
  return { id, object: 'model', created, owned_by };
}

async function allRows(queries: ResourceQueries, kind: ResourceKind): Promise<ResourceRow[]> {
  const out: ResourceRow[] = [];
  for (let skip = 0; ; skip += 1000) {
    const { rows } = await queries.list(kind, { skip, limit: 1000 });
    out.push(...rows);
    if (rows.length < 1000) return out;
  }
}
