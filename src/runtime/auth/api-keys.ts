/**
 * The API key store: keys kept as SHA-256 hashes with a visible prefix, and the lookup that
 * authenticates them (cached for a few seconds per process; a revocation here clears it at once).
 * The bootstrap admin key comes from SINAS_ADMIN_API_KEY, or is generated at first start and
 * printed once. What people do with keys is decided in src/commands/api-key; the API reads them
 * through src/projections/api-key-queries.ts.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransactionOn } from '../../events/postgres/with-client.js';

import type { ApiKeyCredentials, IssuedKey } from '../../commands/api-key/api-key-credentials.js';
import type { PermissionMap } from '../../commands/identity/permissions.js';
import type { ApiKeyRow } from '../../projections/api-key-queries.js';

export interface Principal {
  readonly userId: string;
  readonly keyId: string;
  /** holds `sinas.*:all` (or is the bootstrap key) */
  readonly isAdmin: boolean;
  /** the union of the user's active roles' permissions (for a narrowed key: those its map also grants) */
  readonly permissions: PermissionMap;
  /**
   * the credential carries its own permission map (an API key made with `permissions`): then even a
   * route any signed-in user may call needs the map to grant what it reads or writes
   */
  readonly narrowed: boolean;
}

/** What the key store knows; permissions are added from the user's roles. */
export type KeyHolder = Omit<Principal, 'permissions' | 'narrowed'> & {
  /** the key's own permission map; null: the owner's role permissions */
  readonly keyPermissions: PermissionMap | null;
  /** when the key was made (a user's deactivation kills the keys made before it) */
  readonly issuedAt: Date;
};

/** how long a key's lookup is reused in one process (a revocation elsewhere takes effect after it) */
export const KEY_CACHE_MS = 5_000;

/** the user every bootstrap key belongs to: the first one's */
const BOOTSTRAP_USER = 'SELECT user_id FROM api_keys WHERE is_bootstrap ORDER BY created_at LIMIT 1';

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export function generateKey(): string {
  return `sk-sinas-${randomBytes(24).toString('base64url')}`;
}

export class ApiKeys implements ApiKeyCredentials {
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
      `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, is_bootstrap)
       VALUES ($1, 'bootstrap admin', $2, $3, COALESCE((${BOOTSTRAP_USER}), $4), true)`,
      [randomUUID(), key.slice(0, 12), hash(key), randomUUID()],
    );
    return { generated: key };
  }

  /** Forgets a generated bootstrap key no one was shown (the start failed before printing it). */
  async discard(key: string): Promise<void> {
    await this.pool.query('DELETE FROM api_keys WHERE key_hash = $1 AND is_bootstrap', [hash(key)]);
  }

  /**
   * `sinas admin-key reset`: in one transaction, revokes every bootstrap key and makes a new one for
   * the same bootstrap user. Returns the plaintext (not stored) and what changed.
   */
  async resetBootstrap(id: string): Promise<{ key: string; userId: string; revoked: string[] }> {
    const key = generateKey();
    return inTransactionOn(this.pool, 'BEGIN', async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('sinas:bootstrap-key'))");
      const { rows } = await client.query<{ id: string }>(
        `UPDATE api_keys SET revoked_at = now(), revoked_by = 'system'
          WHERE is_bootstrap AND revoked_at IS NULL RETURNING id`,
      );
      const created = await client.query<{ user_id: string }>(
        `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, is_bootstrap)
         VALUES ($1, 'bootstrap admin', $2, $3, COALESCE((${BOOTSTRAP_USER}), $4), true) RETURNING user_id`,
        [id, key.slice(0, 12), hash(key), randomUUID()],
      );
      return { key, userId: created.rows[0]!.user_id, revoked: rows.map((r) => r.id) };
    }).then((reset) => {
      for (const [h, entry] of this.cache) if (entry.principal?.isAdmin) this.cache.delete(h);
      return reset;
    });
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
    return (await this.create(userId, name)).key;
  }

  /** A new key: only its hash and visible prefix are stored; the plaintext is returned once. */
  async create(
    userId: string,
    name: string,
    o: { id?: string; permissions?: PermissionMap | null; expiresAt?: Date | null } = {},
  ): Promise<{ row: ApiKeyRow; key: string }> {
    const key = generateKey();
    const { rows } = await this.pool.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, is_bootstrap, permissions, expires_at)
       VALUES ($1, $2, $3, $4, $5, false, $6, $7) RETURNING *`,
      [
        o.id ?? randomUUID(),
        name,
        key.slice(0, 12),
        hash(key),
        userId,
        o.permissions ? JSON.stringify(o.permissions) : null,
        o.expiresAt ?? null,
      ],
    );
    return { row: rows[0]!, key };
  }

  async issueKey(k: IssuedKey): Promise<string> {
    return (await this.create(k.userId, k.name, k)).key;
  }

  async isBootstrap(id: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM api_keys WHERE id = $1 AND is_bootstrap', [id]);
    return rows.length > 0;
  }

  /** Revokes a key (soft: the row stays); false when it was already revoked. */
  async revoke(id: string, by: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL',
      [id, by],
    );
    for (const [h, entry] of this.cache) if (entry.principal?.keyId === id) this.cache.delete(h);
    return (rowCount ?? 0) > 0;
  }

  async authenticate(key: string): Promise<KeyHolder | undefined> {
    const h = hash(key);
    const hit = this.cache.get(h);
    if (hit && Date.now() - hit.at < KEY_CACHE_MS) return hit.principal;
    const { rows } = await this.pool.query<{
      id: string;
      user_id: string;
      is_bootstrap: boolean;
      permissions: PermissionMap | null;
      created_at: Date;
    }>(
      `UPDATE api_keys SET last_used_at = now()
        WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        RETURNING id, user_id, is_bootstrap, permissions, created_at`,
      [h],
    );
    const r = rows[0];
    const principal = r
      ? {
          userId: r.user_id,
          keyId: r.id,
          isAdmin: r.is_bootstrap,
          keyPermissions: r.permissions,
          issuedAt: r.created_at,
        }
      : undefined;
    this.cache.set(h, { principal, at: Date.now() });
    return principal;
  }
}
