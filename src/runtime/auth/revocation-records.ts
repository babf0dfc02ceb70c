/**
 * How revocations are written: rows in `revoked_tokens` and `credential_cutoffs`, the user's API keys
 * and refresh tokens marked revoked, and a notice on `sinas_revocations` per change (heard by every
 * API process when the transaction commits). The in-memory side is revocations.ts.
 */
import type pg from 'pg';
import { ACCESS_TOKEN_TTL_S } from './access-tokens.js';

export const REVOCATION_CHANNEL = 'sinas_revocations';
/** a revoked login's id is kept this long: past its last access token's life, with a margin for races */
export const SESSION_REVOCATION_S = ACCESS_TOKEN_TTL_S + 300;
/** token ids per notification (a payload must stay under 8000 bytes) */
const IDS_PER_NOTICE = 100;

export type Notice =
  | { readonly kind: 'tokens'; readonly ids: readonly string[]; readonly expiresAt: number }
  | { readonly kind: 'user'; readonly userId: string; readonly cutoff: number };

type Db = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Stores revoked ids and notifies (heard at commit when `db` is a transaction); returns the notices. */
export async function storeTokens(
  db: Db,
  ids: readonly string[],
  userId: string,
  until: Date,
  reason: string,
): Promise<Notice[]> {
  if (ids.length === 0) return [];
  await db.query(
    `INSERT INTO revoked_tokens (token_id, user_id, reason, expires_at)
     SELECT unnest($1::text[]), $2, $3, $4
     ON CONFLICT (token_id) DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, EXCLUDED.expires_at)`,
    [ids, userId, reason, until],
  );
  const notices: Notice[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_NOTICE)
    notices.push({ kind: 'tokens', ids: ids.slice(i, i + IDS_PER_NOTICE), expiresAt: until.getTime() });
  for (const n of notices) await notify(db, n);
  return notices;
}

async function notify(db: Db, n: Notice): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, JSON.stringify(n)]);
}

/** revokeUser's statements, in `db`'s transaction. */
export async function revokeUserIn(
  db: pg.PoolClient,
  userId: string,
  at: Date | 'now',
  o: { readonly by: string; readonly reason: string },
) {
  const { rows } = await db.query<{ cutoff: Date }>('SELECT coalesce($1::timestamptz, now()) AS cutoff', [
    at === 'now' ? null : at,
  ]);
  const cutoff = rows[0]!.cutoff;
  /** null: everything the user holds now; else only what was issued by the cutoff */
  const upTo = at === 'now' ? null : cutoff;
  await db.query(
    `INSERT INTO credential_cutoffs (user_id, cutoff_at, reason) VALUES ($1, $2, $3)
     ON CONFLICT (user_id) DO UPDATE SET
       reason = CASE WHEN EXCLUDED.cutoff_at > credential_cutoffs.cutoff_at THEN EXCLUDED.reason ELSE credential_cutoffs.reason END,
       cutoff_at = greatest(credential_cutoffs.cutoff_at, EXCLUDED.cutoff_at)`,
    [userId, cutoff, o.reason],
  );
  const keys = await db.query(
    `UPDATE api_keys SET revoked_at = now(), revoked_by = $2
      WHERE user_id = $1 AND revoked_at IS NULL AND ($3::timestamptz IS NULL OR created_at <= $3)`,
    [userId, o.by, upTo],
  );
  const refresh = await db.query(
    `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2
      WHERE user_id = $1 AND revoked_at IS NULL AND ($3::timestamptz IS NULL OR created_at <= $3)`,
    [userId, o.reason, upTo],
  );
  // a login refreshed (or begun) within an access token's life before the cutoff may have live ones
  const sessions = await db.query<{ id: string }>(
    `SELECT DISTINCT family_id::text AS id FROM refresh_tokens
      WHERE user_id = $1 AND created_at > $2::timestamptz - make_interval(secs => $3)
        AND ($4::timestamptz IS NULL OR created_at <= $4)`,
    [userId, cutoff, SESSION_REVOCATION_S, upTo],
  );
  const until = new Date(Date.now() + SESSION_REVOCATION_S * 1000);
  const ids = sessions.rows.map((r) => r.id);
  const notices = await storeTokens(db, ids, userId, until, o.reason);
  const user: Notice = { kind: 'user', userId, cutoff: cutoff.getTime() };
  await notify(db, user);
  return {
    counts: { keys: keys.rowCount ?? 0, refreshTokens: refresh.rowCount ?? 0, sessions: ids.length },
    notices: [...notices, user],
  };
}
