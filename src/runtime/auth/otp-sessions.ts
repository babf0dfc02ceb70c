/**
 * One-time login codes: six digits, stored as an HMAC keyed from the JWT secret and bound to the
 * session id (a plain hash of a six-digit code would be reversed by trying all million). A session
 * allows `max_attempts` tries, right or wrong, until it expires; a right one ends it.
 */
import { createHmac, hkdfSync, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';

export type CheckResult =
  | { readonly ok: true; readonly userId: string }
  | {
      readonly ok: false;
      readonly reason:
        'unknown_session' | 'wrong_code' | 'attempts_exhausted' | 'expired_code' | 'already_used';
      readonly userId?: string;
    };

interface SessionRow {
  user_id: string;
  code_hash: string;
  attempts: number;
  max_attempts: number;
  expires_at: Date;
  verified_at: Date | null;
}

export class OtpSessions {
  private readonly key: Buffer;

  constructor(
    private readonly pool: pg.Pool,
    secret: string,
    private readonly o: { readonly ttlMs: number; readonly maxAttempts: number },
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'sinas', 'login code hmac', 32));
  }

  private hash(sessionId: string, code: string): string {
    return createHmac('sha256', this.key).update(`${sessionId}:${code}`).digest('hex');
  }

  /** A new session for `userId` (ending its earlier ones); returns its id and the plain code. */
  async start(userId: string, now: Date = new Date()): Promise<{ sessionId: string; code: string }> {
    const sessionId = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.pool.query('DELETE FROM login_sessions WHERE user_id = $1', [userId]);
    await this.pool.query(
      `INSERT INTO login_sessions (id, user_id, code_hash, max_attempts, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        sessionId,
        userId,
        this.hash(sessionId, code),
        this.o.maxAttempts,
        new Date(now.getTime() + this.o.ttlMs),
        now,
      ],
    );
    return { sessionId, code };
  }

  /** Ends a session whose code could not be delivered. */
  async discard(sessionId: string): Promise<void> {
    await this.pool.query('DELETE FROM login_sessions WHERE id = $1', [sessionId]);
  }

  /** One try: counted first (atomically), then compared; a right code ends the session. */
  async check(sessionId: string, code: string, now: Date = new Date()): Promise<CheckResult> {
    const { rows } = await this.pool.query<SessionRow>(
      `UPDATE login_sessions SET attempts = attempts + 1
        WHERE id = $1 AND verified_at IS NULL AND attempts < max_attempts AND expires_at > $2
        RETURNING *`,
      [sessionId, now],
    );
    const s = rows[0];
    if (!s) return this.whyNot(sessionId, now);
    const expected = Buffer.from(s.code_hash, 'hex');
    const given = Buffer.from(this.hash(sessionId, code), 'hex');
    if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'wrong_code', userId: s.user_id };
    const used = await this.pool.query(
      'UPDATE login_sessions SET verified_at = $2 WHERE id = $1 AND verified_at IS NULL',
      [sessionId, now],
    );
    if (used.rowCount !== 1) return { ok: false, reason: 'already_used', userId: s.user_id };
    return { ok: true, userId: s.user_id };
  }

  private async whyNot(sessionId: string, now: Date): Promise<CheckResult> {
    const { rows } = await this.pool.query<SessionRow>('SELECT * FROM login_sessions WHERE id = $1', [
      sessionId,
    ]);
    const s = rows[0];
    if (!s) return { ok: false, reason: 'unknown_session' };
    const reason =
      s.verified_at !== null
        ? 'already_used'
        : s.attempts >= s.max_attempts
          ? 'attempts_exhausted'
          : new Date(s.expires_at) <= now
            ? 'expired_code'
            : 'wrong_code';
    return { ok: false, reason, userId: s.user_id };
  }
}
