/**
 * Reads of the `states` read model (reference §5.7): a store's states by who may see them, with the
 * filters of the list route and the tools, the shared state of a key, and the stored context of a
 * chat. Expired states are never returned. Rows carry an encrypted state's sealed value; the
 * runtime opens it.
 */
import type pg from 'pg';

export interface StateRow {
  readonly id: string;
  readonly store_id: string;
  readonly store_namespace: string;
  readonly store_name: string;
  readonly user_id: string;
  readonly key: string;
  readonly value: unknown;
  readonly sealed: unknown;
  readonly visibility: 'private' | 'shared';
  readonly description: string | null;
  readonly tags: string[];
  readonly relevance_score: number;
  readonly expires_at: Date | null;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly version: string;
}

/** Whose states a list shows: one user's own, theirs plus every shared one, or everyone's. */
export type StateScope =
  | { readonly kind: 'own'; readonly userId: string }
  | { readonly kind: 'own_and_shared'; readonly userId: string }
  | { readonly kind: 'all' };

export interface StateFilter {
  readonly search?: string;
  /** states holding any of these tags */
  readonly tags?: readonly string[];
  readonly minRelevance?: number;
  readonly skip?: number;
  readonly limit?: number;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

export class StateQueries {
  constructor(private readonly pool: pg.Pool) {}

  /** The states of `storeIds` in `scope` that pass `f`, most relevant first. */
  async list(storeIds: readonly string[], scope: StateScope, f: StateFilter = {}): Promise<StateRow[]> {
    const args: unknown[] = [storeIds];
    const where = ['store_id = ANY($1::uuid[])', LIVE];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (scope.kind === 'own') where.push(`user_id = ${arg(scope.userId)}`);
    if (scope.kind === 'own_and_shared')
      where.push(`(user_id = ${arg(scope.userId)} OR visibility = 'shared')`);
    if (f.search) {
      const like = arg(`%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(key ILIKE ${like} OR coalesce(description, '') ILIKE ${like})`);
    }
    if (f.tags?.length) where.push(`tags && ${arg(f.tags)}::text[]`);
    if (f.minRelevance !== undefined) where.push(`relevance_score >= ${arg(f.minRelevance)}`);
    const { rows } = await this.pool.query<StateRow>(
      `SELECT * FROM states WHERE ${where.join(' AND ')}
        ORDER BY relevance_score DESC, updated_at DESC, key, user_id
        OFFSET ${arg(f.skip ?? 0)} LIMIT ${arg(f.limit ?? 100)}`,
      args,
    );
    return rows;
  }

  /** The most recently written shared state with `key` in the store (someone else's), if any. */
  async shared(storeId: string, key: string): Promise<StateRow | undefined> {
    const { rows } = await this.pool.query<StateRow>(
      `SELECT * FROM states WHERE store_id = $1 AND key = $2 AND visibility = 'shared' AND ${LIVE}
        ORDER BY updated_at DESC LIMIT 1`,
      [storeId, key],
    );
    return rows[0];
  }

  /** The ids of every state of a store, live or expired (its data keys go when the store does). */
  async idsOfStore(storeId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM states WHERE store_id = $1', [
      storeId,
    ]);
    return rows.map((r) => r.id);
  }
}
