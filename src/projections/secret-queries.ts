/** What the secrets API reads: metadata only (the `value` column, ciphertext, is never selected here). */
import type pg from 'pg';
import type { SecretRow } from './secrets.js';

const COLUMNS = 'stream_id, id, name, visibility, owner_id, description, version, created_at, updated_at';

export interface SecretReader {
  readonly userId: string;
  readonly isAdmin: boolean;
}

export interface SecretListOptions {
  readonly skip: number;
  readonly limit: number;
  readonly visibility?: 'shared' | 'private';
}

export class SecretQueries {
  constructor(private readonly pool: pg.Pool) {}

  /** Every shared secret plus the reader's private ones; administrators see every secret. */
  async list(reader: SecretReader, o: SecretListOptions): Promise<{ rows: SecretRow[]; total: number }> {
    const { rows } = await this.pool.query<SecretRow & { total: string }>(
      `SELECT ${COLUMNS}, count(*) OVER () AS total FROM secrets
        WHERE ($3 OR visibility = 'shared' OR owner_id = $4) AND ($5::text IS NULL OR visibility = $5)
        ORDER BY name, visibility DESC, owner_id LIMIT $1 OFFSET $2`,
      [o.limit, o.skip, reader.isAdmin, reader.userId, o.visibility ?? null],
    );
    return { rows, total: rows[0] ? Number(rows[0].total) : 0 };
  }

  /** The reader's private secret of that name if there is one, else the shared one. */
  async get(
    reader: SecretReader,
    name: string,
    visibility?: 'shared' | 'private',
  ): Promise<SecretRow | undefined> {
    const { rows } = await this.pool.query<SecretRow>(
      `SELECT ${COLUMNS} FROM secrets
        WHERE name = $1 AND (visibility = 'shared' OR owner_id = $2) AND ($3::text IS NULL OR visibility = $3)
        ORDER BY visibility = 'private' DESC LIMIT 1`,
      [name, reader.userId, visibility ?? null],
    );
    return rows[0];
  }
}
