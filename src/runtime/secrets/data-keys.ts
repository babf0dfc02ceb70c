/**
 * The secrets key store in Postgres (`secret_keys`, infra/migrations/004_secret_keys.sql): per-secret
 * AES-256 data keys, wrapped by the master keyring and bound to their secret id (GCM additional
 * data), so a wrapped key copied onto another row does not open.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { DataKey, DataKeys } from '../../commands/secret/secret-kind.js';
import { Cipher, type Keyring, type Sealed } from '../cipher.js';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export class PgDataKeys implements DataKeys {
  constructor(
    private readonly pool: pg.Pool,
    private readonly keyring: Keyring,
  ) {}

  async create(secretId: string): Promise<DataKey> {
    const key = randomBytes(32);
    const wrapped = this.keyring.seal(key, secretId);
    await this.pool.query(
      'INSERT INTO secret_keys (secret_id, wrapped_key, master_kid) VALUES ($1, $2::jsonb, $3)',
      [secretId, JSON.stringify(wrapped), wrapped.kid],
    );
    return new Cipher(key, secretId);
  }

  async get(secretId: string): Promise<DataKey | undefined> {
    const { rows } = await this.pool.query<{ wrapped_key: Sealed | null }>(
      'SELECT wrapped_key FROM secret_keys WHERE secret_id = $1',
      [secretId],
    );
    const wrapped = rows[0]?.wrapped_key;
    return wrapped ? unwrapDataKey(this.keyring, secretId, wrapped) : undefined;
  }

  destroy(secretId: string): Promise<void> {
    return destroyDataKey(this.pool, secretId);
  }
}

/** The data key of `secretId` from its wrapped form (throws when no configured master key opens it). */
export function unwrapDataKey(keyring: Keyring, secretId: string, wrapped: Sealed): Cipher {
  return new Cipher(keyring.openBytes(wrapped, secretId), secretId);
}

/**
 * Destroys the data key for good: the wrapped key is overwritten with NULL and a tombstone stays
 * (so a late re-run finds it destroyed, never missing). Idempotent; used by the delete command and
 * by the key shredder reactor in the transaction that handles `SecretDeleted`.
 */
export async function destroyDataKey(db: Queryable, secretId: string): Promise<void> {
  await db.query(
    `INSERT INTO secret_keys (secret_id, wrapped_key, master_kid, destroyed_at) VALUES ($1, NULL, NULL, now())
     ON CONFLICT (secret_id) DO UPDATE SET wrapped_key = NULL, master_kid = NULL,
       destroyed_at = COALESCE(secret_keys.destroyed_at, now())`,
    [secretId],
  );
}
