/**
 * API keys, stored as SHA-256 hashes with a visible prefix. The bootstrap admin key comes from
 * SINAS_ADMIN_API_KEY, or is generated at first start and printed once.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';

import type { PermissionMap } from '../commands/identity/permissions.js';

export interface Principal {
  readonly userId: string;
  readonly keyId: string;
  /** holds `sinas.*:all` (or is the bootstrap key) */
  readonly isAdmin: boolean;
  /** the union of the user's active roles' permissions */
  readonly permissions: PermissionMap;
}

/** What the key store knows; permissions are added from the user's roles. */
export type KeyHolder = Omit<Principal, 'permissions'>;

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export function generateKey(): string {
  return `sk-sinas-${randomBytes(24).toString('base64url')}`;
}

export class ApiKeys {
  private readonly cache = new Map<string, { principal: KeyHolder | undefined; at: number }>();

  constructor(private readonly pool: pg.Pool) {}

  /** Ensures a bootstrap admin key exists; returns the plaintext when it was just generated. */
  async bootstrap(configured: string | undefined): Promise<{ generated?: string }> {
    if (configured) {
      await this.pool.query(
        `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, is_bootstrap)
         VALUES ($1, 'bootstrap admin', $2, $3, COALESCE((SELECT user_id FROM api_keys WHERE is_bootstrap LIMIT 1), $4), true)
         ON CONFLICT (key_hash) DO NOTHING`,
        [randomUUID(), configured.slice(0, 12), hash(configured), randomUUID()],
      );
      return {};
    }
    const { rows } = await this.pool.query(
      'SELECT 1 FROM api_keys WHERE is_bootstrap AND revoked_at IS NULL',
    );
    if (rows.length > 0) return {};
    const key = generateKey();
    await this.pool.query(
      `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, is_bootstrap) VALUES ($1, 'bootstrap admin', $2, $3, $4, true)`,
      [randomUUID(), key.slice(0, 12), hash(key), randomUUID()],
    );
    return { generated: key };
  }

  /** The user the bootstrap admin key belongs to (all bootstrap keys share one). */
  async bootstrapUserId(): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT user_id FROM api_keys WHERE is_bootstrap ORDER BY created_at LIMIT 1',
    );
    return rows[0]?.user_id;
  }

  /** Issues a (non-admin) key for `userId`; returns the plaintext, which is not stored. */
  async issue(userId: string, name: string): Promise<string> {
    const key = generateKey();
    await this.pool.query(
      `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, is_bootstrap) VALUES ($1, $2, $3, $4, $5, false)`,
      [randomUUID(), name, key.slice(0, 12), hash(key), userId],
    );
    return key;
  }

  async authenticate(key: string): Promise<KeyHolder | undefined> {
    const h = hash(key);
    const hit = this.cache.get(h);
    if (hit && Date.now() - hit.at < 10_000) return hit.principal;
    const { rows } = await this.pool.query<{ id: string; user_id: string; is_bootstrap: boolean }>(
      'SELECT id, user_id, is_bootstrap FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [h],
    );
    const r = rows[0];
    const principal = r ? { userId: r.user_id, keyId: r.id, isAdmin: r.is_bootstrap } : undefined;
    this.cache.set(h, { principal, at: Date.now() });
    return principal;
  }
}
