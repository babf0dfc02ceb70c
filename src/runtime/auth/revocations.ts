/**
 * Revoked credentials, the same in every API process: token ids (a login's session id, the `sid`
 * every access token of that login carries, or one token's `jti`) until the tokens they name have
 * expired, and per-user cutoffs (every credential of a deactivated or deleted user issued before the
 * cutoff is dead, reactivation included). Postgres holds them; each process keeps them in memory
 * (they are few), hears new ones by LISTEN/NOTIFY and merges in everything stored after
 * (re)connecting, so the check on every request is a few map lookups and no query.
 */
import type pg from 'pg';
import { PgListener } from '../../events/postgres/pg-listener.js';
import { inTransaction } from '../../projections/transaction.js';
import { REVOCATION_CHANNEL, revokeUserIn, storeTokens, type Notice } from './revocation-records.js';

export { SESSION_REVOCATION_S } from './revocation-records.js';

const PRUNE_MS = 60_000;

export type Revoked = 'user' | 'token';

export interface Credential {
  readonly userId: string;
  /** when it was issued, as closely as known: [earliest, latest] (ms) */
  readonly issued: readonly [number, number];
  /** its own id (an access token's jti) */
  readonly id?: string;
  /** the login it belongs to (an access token's sid) */
  readonly session?: string | null;
}

export class Revocations {
  /** token or session id → when the tokens it names have expired (ms) */
  private readonly tokens = new Map<string, number>();
  /** user id → the user's cutoff (ms) */
  private readonly cutoffs = new Map<string, number>();
  private readonly listener: PgListener;
  private started: Promise<void> | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    connectionString: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    // notices sent while the connection was down are lost: read what is stored again
    this.listener = new PgListener(connectionString, REVOCATION_CHANNEL, () => this.reload());
    this.listener.messages.subscribe((payload) => this.hear(payload));
  }

  /** Listens first, then loads what is stored: nothing committed in between is missed. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.listener.start();
      await this.load();
      this.pruner = setInterval(() => this.prune(Date.now()), PRUNE_MS);
      this.pruner.unref();
    })();
    return this.started;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pruner) clearInterval(this.pruner);
    await this.listener.stop();
  }

  /**
   * Why a credential no longer holds: 'token' (it or its login was revoked), 'user' (issued before its
   * user's cutoff). One issued in the cutoff's own second counts as before it, unless it belongs to
   * a login: a login live at the cutoff was revoked by its session id, a later one is new.
   */
  revoked(c: Credential): Revoked | undefined {
    const now = Date.now();
    for (const id of [c.id, c.session]) if (id && (this.tokens.get(id) ?? 0) > now) return 'token';
    const cutoff = this.cutoffs.get(c.userId);
    if (cutoff === undefined) return undefined;
    const [earliest, latest] = c.issued;
    if (latest <= cutoff || (earliest <= cutoff && !c.session)) return 'user';
    return undefined;
  }

  /** Revokes token or session ids of `userId` until `until` (when every token they name has expired). */
  async revokeTokens(ids: readonly string[], userId: string, until: Date, reason: string): Promise<void> {
    const notices = await storeTokens(this.pool, ids, userId, until, reason);
    notices.forEach((n) => this.apply(n));
  }

  /**
   * Kills every credential of `userId` issued before the cutoff, and tells every process: records the
   * cutoff, revokes the user's API keys and refresh tokens, and the logins whose access tokens may
   * still live. `'now'` (the users API, which has just seen the change): everything the user holds,
   * cut at the database's clock. A time (a reactor, maybe long after): only what was issued by then.
   * In the caller's transaction `tx`, the change is heard everywhere, here too, once it commits.
   * Idempotent.
   */
  async revokeUser(
    userId: string,
    at: Date | 'now',
    o: { readonly by: string; readonly reason: string },
    tx?: pg.PoolClient,
  ): Promise<{ keys: number; refreshTokens: number; sessions: number }> {
    const run = (db: pg.PoolClient) => revokeUserIn(db, userId, at, o);
    if (tx) return (await run(tx)).counts;
    const { counts, notices } = await inTransaction(this.pool, run);
    notices.forEach((n) => this.apply(n));
    return counts;
  }

  private hear(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch (err) {
      this.onError(err);
      return this.reload(); // a notice we cannot read: read what is stored instead
    }
    this.apply(notice);
  }

  /** Merges, never replaces: a notice heard while loading must survive the load. */
  private apply(n: Notice): void {
    switch (n.kind) {
      case 'tokens':
        for (const id of n.ids) this.tokens.set(id, Math.max(this.tokens.get(id) ?? 0, n.expiresAt));
        return;
      case 'user':
        this.cutoffs.set(n.userId, Math.max(this.cutoffs.get(n.userId) ?? 0, n.cutoff));
        return;
      default: {
        const unreachable: never = n;
        throw new Error(`unknown revocation notice ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Loads in the background, again a second later until it succeeds (revocations must not be missed). */
  private reload(failures = 0): void {
    if (this.stopped) return;
    this.load().catch((err) => {
      if (failures === 0) this.onError(err); // once per outage: the retries have nothing new to say
      setTimeout(() => this.reload(failures + 1), 1000).unref();
    });
  }

  private async load(): Promise<void> {
    await this.pool.query('DELETE FROM revoked_tokens WHERE expires_at < now()');
    const tokens = await this.pool.query<{ token_id: string; expires_at: Date }>(
      'SELECT token_id, expires_at FROM revoked_tokens',
    );
    for (const r of tokens.rows)
      this.apply({ kind: 'tokens', ids: [r.token_id], expiresAt: r.expires_at.getTime() });
    const users = await this.pool.query<{ user_id: string; cutoff_at: Date }>(
      'SELECT user_id, cutoff_at FROM credential_cutoffs',
    );
    for (const r of users.rows)
      this.apply({ kind: 'user', userId: r.user_id, cutoff: r.cutoff_at.getTime() });
  }

  private prune(now: number): void {
    for (const [id, until] of this.tokens) if (until <= now) this.tokens.delete(id);
  }
}
