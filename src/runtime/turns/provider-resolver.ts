/**
 * Which endpoint and model a turn uses (reference §3.8 step 1): the agent's provider, else the
 * default provider, else — only when no provider exists at all — the built-in development model.
 */
import { llmProviderKind } from '../../commands/llm-provider/llm-provider-kind.js';
import type { Subscription } from 'rxjs';
import { IllegalStateError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import type { ResourceQueries } from '../../projections/resource-queries.js';
import type { ResourceRow } from '../../projections/resources.js';
import { isSealed, type Sealer } from '../cipher.js';
import { DEV_MODEL } from '../llm/dev-model.js';
import type { DevModelServer } from '../llm/dev-model-server.js';
import type { LlmEndpoint } from '../llm/llm.js';

export interface ResolvedModel {
  readonly endpoint: LlmEndpoint;
  readonly model: string;
  /** the provider's name, or 'development' */
  readonly provider: string;
}

const DEFAULT_BASE = 'https://api.openai.com/v1';

export class ProviderResolver {
  /** the default provider as the read model had it once it reflected `reflects` */
  private cached: { readonly value: ResourceRow | undefined; readonly reflects: bigint } | undefined;
  /** the newest LLM provider event this process has seen (from the store's feed) */
  private seen = 0n;
  private watching: Subscription | undefined;
  private following = false;

  /** `store`: when given, the default provider is kept in memory until a provider event says otherwise */
  constructor(
    private readonly queries: ResourceQueries,
    private readonly cipher: Sealer,
    private readonly devModel: DevModelServer,
    private readonly store?: EventStore,
  ) {}

  /**
   * `defaultProvider`: the default provider looked up earlier (it is used only when the agent names
   * no provider of its own).
   */
  async resolve(
    agentSpec: Readonly<Record<string, unknown>>,
    defaultProvider?: Promise<ResourceRow | undefined>,
  ): Promise<ResolvedModel> {
    const id = agentSpec.llm_provider_id as string | null | undefined;
    const provider = await (!id && defaultProvider ? defaultProvider : this.provider(id));
    if (!provider) {
      return {
        endpoint: { baseUrl: await this.devModel.url(), apiKey: 'development', label: 'development model' },
        model: DEV_MODEL,
        provider: 'development',
      };
    }
    const spec = provider.spec;
    const model =
      (agentSpec.model as string | null) ??
      (spec.default_model as string | null) ??
      ((spec.config as { models?: string[] })?.models ?? [])[0];
    if (!model)
      throw new IllegalStateError(
        `provider '${provider.name}' has no default_model and the agent names no model`,
      );
    const key = spec.api_key;
    return {
      endpoint: {
        baseUrl: (spec.api_endpoint as string | null) ?? DEFAULT_BASE,
        apiKey: isSealed(key) ? this.cipher.open(key) : 'none',
        label: provider.name,
      },
      model,
      provider: provider.name,
    };
  }

  private async provider(id: string | null | undefined): Promise<ResourceRow | undefined> {
    if (id) {
      const p = await this.queries.getById(llmProviderKind, id);
      if (!p) throw new IllegalStateError(`the agent's LLM provider ${id} does not exist or is inactive`);
      return p;
    }
    return this.defaultProvider();
  }

  /**
   * The default provider; undefined when no provider exists (the development model then). Kept in
   * memory while no provider event newer than what the read model reflected has come by.
   */
  async defaultProvider(): Promise<ResourceRow | undefined> {
    this.follow();
    const c = this.cached;
    if (c && this.following && c.reflects >= this.seen) return c.value;
    // the checkpoint first: the rows read after it reflect at least that much
    const reflects = await this.queries.projectedTo(llmProviderKind);
    const value = await this.lookUpDefault();
    this.cached = { value, reflects };
    return value;
  }

  private async lookUpDefault(): Promise<ResourceRow | undefined> {
    const defaults = await this.queries.flagged(llmProviderKind, 'is_default');
    if (defaults[0]) return defaults[0];
    const any = await this.queries.list(llmProviderKind, { skip: 0, limit: 1 });
    if (any.rows[0])
      throw new IllegalStateError(
        "no default LLM provider: mark one is_default or set the agent's llm_provider_id",
      );
    return undefined;
  }

  /** Follows the LLM provider events (from the first: they are few), so a change drops the cache. */
  private follow(): void {
    if (this.watching || !this.store) return;
    this.following = true;
    this.watching = this.store
      .subscribeToAll({ filter: { categories: [llmProviderKind.category] } })
      .subscribe({
        next: (e) => {
          if (e.position > this.seen) this.seen = e.position;
        },
        error: () => (this.following = false),
        complete: () => (this.following = false),
      });
  }

  stop(): void {
    this.watching?.unsubscribe();
    this.following = false;
  }

  /** How /health describes the model layer. */
  async describe(): Promise<string> {
    const any = await this.queries.list(llmProviderKind, { skip: 0, limit: 1 });
    return any.total > 0
      ? 'openai-compatible'
      : `development-model (${DEV_MODEL}, deterministic, not a real LLM)`;
  }
}
