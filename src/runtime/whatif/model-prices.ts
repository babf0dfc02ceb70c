/**
 * A replay's cost, from the price list the analyst views use (`analytics.model_prices`, price per
 * 1000 prompt and completion tokens by model): null when the model has no price or the list is
 * not installed yet (an API-only process before any worker started).
 */
import type pg from 'pg';
import { ANALYTICS_SCHEMA } from '../../projections/analytics-views.js';
import type { Usage } from './whatif-events.js';

interface Price {
  readonly prompt: number;
  readonly completion: number;
}

/** Prices read once per model for one run. */
export class ModelPrices {
  private readonly seen = new Map<string, Promise<Price | undefined>>();

  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  async cost(model: string | null, usage: Usage): Promise<number | null> {
    if (!model) return null;
    let price = this.seen.get(model);
    if (!price) this.seen.set(model, (price = this.read(model)));
    const p = await price;
    if (!p) return null;
    return (usage.prompt_tokens / 1000) * p.prompt + (usage.completion_tokens / 1000) * p.completion;
  }

  private async read(model: string): Promise<Price | undefined> {
    const table = `${ANALYTICS_SCHEMA}.model_prices`;
    const { rows } = await this.pool.query<{ present: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS present',
      [table],
    );
    if (!rows[0]?.present) return undefined;
    const found = await this.pool.query<{ prompt_per_1k: string; completion_per_1k: string }>(
      `SELECT prompt_per_1k, completion_per_1k FROM ${table} WHERE model = $1`,
      [model],
    );
    const row = found.rows[0];
    return row ? { prompt: Number(row.prompt_per_1k), completion: Number(row.completion_per_1k) } : undefined;
  }
}
