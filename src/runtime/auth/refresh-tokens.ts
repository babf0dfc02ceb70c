/**
 * Refresh tokens: 32 random bytes (base64url), stored as a SHA-256 hash with an 8-character prefix,
 * valid 30 days. Each login starts a family. A refresh consumes the presented token and issues the
 * family's next one in the same transaction; a consumed token presented again means two holders
 * (one of them a thief), so the whole family is revoked.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withClient } from '../../events/postgres/with-client.js';

export const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export type RotateResult =
  | { readonly ok: true; readonly token: string; readonly userId: string; readonly familyId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'revoked' }
  | {
      readonly ok: false;
      readonly reason: 'reused';
      readonly userId: string;
      readonly familyId: string;
      readonly tokenId: string;
      readonly revokedTokens: number;
    };

interface TokenRow {
  id: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  consumed_at: Date | null;
  revoked_at: Date | null;
}

export class RefreshTokens {
  constructor(private readonly pool: pg.Pool) {}

  /** The first token of a new family (a login). */
  async startFamily(userId: string, now: Date = new Date()): Promise<{ token: string; familyId: string }> {
    const familyId = randomUUID();
    const { token } = await this.insert(this.pool, familyId, userId, now);
    return { token, familyId };
  }

  private async insert(db: pg.Pool | pg.PoolClient, familyId: string, userId: string, now: Date) {
    const token = randomBytes(32).toString('base64url');
    const id = randomUUID();
    await db.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, prefix, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        id,
        familyId,
        userId,
        hash(token),
        token.slice(0, 8),
        now,
        new Date(now.getTime() + REFRESH_TOKEN_TTL_MS),
      ],
    );
    return { token, id };
  }

  /** Consumes `token` and issues its successor, or says why not (revoking the family on reuse). */
  async rotate(token: string, now: Date = new Date()): Promise<RotateResult> {
    return withClient(this.pool, async (client) => {
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<TokenRow>(
          `UPDATE refresh_tokens SET consumed_at = $2
          WHERE token_hash = $1 AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > $2
          RETURNING *`,
          [hash(token), now],
        );
        const old = rows[0];
        if (!old) {
          await client.query('ROLLBACK');
          return this.refused(token, now);
        }
        const next = await this.insert(client, old.family_id, old.user_id, now);
        await client.query('UPDATE refresh_tokens SET replaced_by = $2 WHERE id = $1', [old.id, next.id]);
        await client.query('COMMIT');
        return { ok: true, token: next.token, userId: old.user_id, familyId: old.family_id };
      } catch (err) {
        // a ROLLBACK that fails means the connection is gone: withClient discards the client
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  private async refused(token: string, now: Date): Promise<RotateResult> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM refresh_tokens WHERE token_hash = $1', [
      hash(token),
    ]);
    const t = rows[0];
    if (!t) return { ok: false, reason: 'unknown' };
    if (t.consumed_at !== null) {
      const revokedTokens = await this.revokeFamily(t.family_id, 'reuse', now);
      return {
        ok: false,
        reason: 'reused',
        userId: t.user_id,
        familyId: t.family_id,
        tokenId: t.id,
        revokedTokens,
      };
    }
    if (t.revoked_at !== null) return { ok: false, reason: 'revoked' };
    return { ok: false, reason: 'expired' };
  }

  /** Revokes every live token of the family; returns how many. */
  async revokeFamily(familyId: string, reason: string, now: Date = new Date()): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE refresh_tokens SET revoked_at = $2, revoked_reason = $3 WHERE family_id = $1 AND revoked_at IS NULL`,
      [familyId, now, reason],
    );
    return rowCount ?? 0;
  }

  /** Logout: revokes the token's family (its login) and says whose; undefined when the token is unknown. */
  async logout(
    token: string,
    now: Date = new Date(),
  ): Promise<{ readonly familyId: string; readonly userId: string } | undefined> {
    const { rows } = await this.pool.query<{ family_id: string; user_id: string }>(
      'SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1',
      [hash(token)],
    );
    if (!rows[0]) return undefined;
    await this.revokeFamily(rows[0].family_id, 'logout', now);
    return { familyId: rows[0].family_id, userId: rows[0].user_id };
  }
}
