/**
 * What the API reads of API keys: the key store's rows without their hashes. The store is not a
 * projection of the `apikey-` events and cannot become one: a key's hash is in no event (by design),
 * keys the runtime makes (the bootstrap key) have no events, and `last_used_at` moves on every use.
 */
import type pg from 'pg';

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  user_id: string;
  is_bootstrap: boolean;
  /** the key's own permission map; null: its owner's role permissions */
  permissions: Readonly<Record<string, boolean>> | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  last_used_at: Date | null;
  created_at: Date;
}

const COLUMNS = `id, name, prefix, user_id, is_bootstrap, permissions, expires_at, revoked_at, revoked_by,
  last_used_at, created_at`;

export class ApiKeyQueries {
  constructor(private readonly db: pg.Pool) {}

  /** `userId`'s keys (undefined: everyone's), newest first */
  async list(userId: string | undefined): Promise<ApiKeyRow[]> {
    const { rows } = await this.db.query<ApiKeyRow>(
      `SELECT ${COLUMNS} FROM api_keys WHERE ($1::text IS NULL OR user_id = $1) ORDER BY created_at DESC, id`,
      [userId ?? null],
    );
    return rows;
  }

  async get(id: string): Promise<ApiKeyRow | undefined> {
    const { rows } = await this.db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0];
  }
}
