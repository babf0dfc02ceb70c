/**
 * Which endpoint and model a turn uses (reference §3.8 step 1): the agent's provider, else the
 * default provider, else — only when no provider exists at all — the built-in development model.
 */
import { llmProviderKind } from '../../commands/llm-provider/llm-provider-kind.js';
import { IllegalStateError } from '../../errors.js';
import type { ResourceQueries } from '../../projections/resource-queries.js';
import { resourceProjection, type ResourceRow } from '../../projections/resources.js';
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
const PROVIDERS_PROJECTION = resourceProjection(llmProviderKind).name;

/** Where projections' checkpoints stand, as this process hears them (the projection waiter). */
export interface CheckpointWatch {
  /** begins listening (idempotent); until then `reachedOf` knows nothing */
  watch(): void;
  reachedOf(projection: string): bigint | undefined;
}

export class ProviderResolver {
  /** the default provider as the read model had it when its checkpoint was `reflects` */
  private cached: { readonly value: ResourceRow | undefined; readonly reflects: bigint } | undefined;

  constructor(
    private readonly queries: ResourceQueries,
    private readonly cipher: Sealer,
    private readonly devModel: DevModelServer,
    private readonly checkpoints?: CheckpointWatch,
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
   * memory while the provider read model's checkpoint stays where it was (it moves only with
   * provider events). Where this process hears the checkpoints (`checkpoints`, by NOTIFY), a turn
   * asks nothing of the database while they stand still; else it reads the checkpoint (one small
   * read). Either way a change shows in the next turn once the read model has it, in every process.
   * (A feed of provider events, which this once followed, can trail the read model on a busy
   * machine: the next turn then used the old default.)
   */
  async defaultProvider(): Promise<ResourceRow | undefined> {
    this.checkpoints?.watch();
    const c = this.cached;
    if (c && c.reflects === this.checkpoints?.reachedOf(PROVIDERS_PROJECTION)) return c.value;
    // the checkpoint first: the rows read after it reflect at least that much
    const reflects = await this.queries.projectedTo(llmProviderKind);
    if (c && c.reflects === reflects) return c.value;
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

  /** How /health describes the model layer. */
  async describe(): Promise<string> {
    const any = await this.queries.list(llmProviderKind, { skip: 0, limit: 1 });
    return any.total > 0
      ? 'openai-compatible'
      : `development-model (${DEV_MODEL}, deterministic, not a real LLM)`;
  }
}
