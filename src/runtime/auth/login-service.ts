/**
 * The login flow (reference §1.1, README "Login and tokens"): a one-time code by email, exchanged
 * for an access token (JWT, 15 minutes) and a refresh token (30 days, rotated on every use, its
 * family revoked when a consumed one comes back). Every access token names its login (`sid`): a
 * logout or a detected reuse revokes the login's access tokens with its refresh tokens. Failures,
 * lockouts and reuse are recorded as security events; each login and refresh as `UserLoggedIn`
 * (it moves `last_login_at`).
 */
import { randomUUID } from 'node:crypto';
import {
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from '../../errors.js';
import type { LoginEvent } from '../../events/auth-events.js';
import type { EventStore } from '../../events/event-store.js';
import { normalizeEmail } from '../../events/identity-events.js';
import { streams } from '../../events/stream-names.js';
import type { IdentityQueries, UserRow } from '../../projections/identity-queries.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import type { LoginConfig } from '../config.js';
import { ACCESS_TOKEN_TTL_S, type AccessTokens } from './access-tokens.js';
import type { Mailer } from './mailer.js';
import type { LoginEmail } from '../templates/login-email.js';
import type { OtpSessions } from './otp-sessions.js';
import type { RateLimiter } from './rate-limiter.js';
import type { RefreshTokens } from './refresh-tokens.js';
import { SESSION_REVOCATION_S, type Revocations } from './revocations.js';
import { emailHash, type SecurityLog } from './security-log.js';

const WINDOW_MS = 15 * 60_000;
export const UNKNOWN_USER = 'User not found. Contact your administrator.';
export const BAD_CODE = 'Invalid or expired OTP';

export interface LoginServiceDeps {
  readonly users: Pick<IdentityQueries, 'userByEmail' | 'user'>;
  readonly otp: OtpSessions;
  readonly refresh: RefreshTokens;
  readonly tokens: AccessTokens;
  /** where a login's access tokens are revoked (logout, reuse) */
  readonly revocations: Pick<Revocations, 'revokeTokens'>;
  readonly limiter: RateLimiter;
  readonly security: SecurityLog;
  /** undefined: production without SMTP, login refused */
  readonly mailer: Mailer | undefined;
  /** the code's email, rendered from the `otp_email` template; absent: the mailer's built-in text */
  readonly loginEmail?: LoginEmail;
  readonly store: EventStore;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  readonly config: LoginConfig;
}

export interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
}

export class LoginService {
  constructor(private readonly d: LoginServiceDeps) {}

  /** how codes are delivered ('smtp', 'development-log'), or undefined when login is refused */
  get delivery(): string | undefined {
    return this.d.mailer?.kind;
  }

  /** Sends a code to the user with `email`; returns the session id to verify it against. */
  async requestCode(email: string, ip: string): Promise<{ sessionId: string }> {
    if (!this.d.mailer)
      throw new UnavailableError(
        'login by email is not available: the server has no SMTP configured (SMTP_URL or SMTP_HOST)',
      );
    const address = normalizeEmail(email);
    const hashed = emailHash(address);
    await this.limit(`login-ip:${ip}`, this.d.config.loginPerIp, 'login_per_ip', ip);
    await this.limit(`login-email:${hashed}`, this.d.config.loginPerEmail, 'login_per_email', ip, hashed);
    const user = await this.d.users.userByEmail(address);
    if (!user?.active) {
      const reason = user ? 'inactive_user' : 'unknown_email';
      await this.d.security.record('LoginFailed', { reason, ip, emailHash: hashed });
      throw new ForbiddenError(UNKNOWN_USER, 'email');
    }
    const { sessionId, code } = await this.d.otp.start(user.id);
    try {
      const validMinutes = Math.max(1, Math.round(this.d.config.otpTtlMs / 60_000));
      const message = await this.d.loginEmail?.({ email: address, code, validMinutes });
      await this.d.mailer.sendLoginCode({ to: address, code, validMinutes, ...(message ? { message } : {}) });
    } catch (err) {
      await this.d.otp.discard(sessionId);
      throw err;
    }
    return { sessionId };
  }

  /** Exchanges a right code for tokens; every try counts against the session's attempts. */
  async verify(sessionId: string, code: string, ip: string): Promise<Tokens & { user: UserRow }> {
    await this.limit(`verify-ip:${ip}`, this.d.config.verifyPerIp, 'verify_per_ip', ip);
    const r = await this.d.otp.check(sessionId, code);
    if (!r.ok) {
      await this.d.security.record('LoginFailed', {
        reason: r.reason,
        ip,
        sessionId,
        ...(r.userId ? { userId: r.userId } : {}),
      });
      throw new ValidationError(BAD_CODE, 'otp_code');
    }
    const user = await this.activeUser(r.userId);
    if (!user) throw new ForbiddenError(UNKNOWN_USER);
    const { token, familyId } = await this.d.refresh.startFamily(user.id);
    const at = await this.loggedIn(user.id, 'otp', familyId);
    return {
      ...(await this.pair(user, token, familyId)),
      user: { ...user, last_login_at: at },
    };
  }

  /** Rotates the refresh token: the presented one is consumed, the family's next one returned. */
  async refresh(token: string, ip: string): Promise<Tokens> {
    const r = await this.d.refresh.rotate(token);
    if (!r.ok) {
      if (r.reason === 'reused') {
        const { userId, familyId, tokenId, revokedTokens } = r;
        await this.endSession(familyId, userId, 'reuse');
        await this.d.security.record('RefreshTokenReused', { userId, familyId, tokenId, revokedTokens, ip });
        throw new UnauthorizedError(
          'this refresh token was already used: every token of its login is now revoked; log in again',
          'refresh_token',
        );
      }
      throw new UnauthorizedError(`invalid refresh token (${r.reason}): log in again`, 'refresh_token');
    }
    const user = await this.activeUser(r.userId);
    if (!user) {
      await this.d.refresh.revokeFamily(r.familyId, 'user_inactive');
      throw new UnauthorizedError('User not found', 'refresh_token');
    }
    await this.loggedIn(user.id, 'refresh', r.familyId);
    return this.pair(user, r.token, r.familyId);
  }

  /**
   * Ends the login the token belongs to: its whole refresh-token family and every access token
   * issued for it, at once in every process; false when the token is unknown.
   */
  async logout(token: string): Promise<boolean> {
    const session = await this.d.refresh.logout(token);
    if (!session) return false;
    await this.endSession(session.familyId, session.userId, 'logout');
    return true;
  }

  /**
   * Revokes the login's access tokens (their `sid`) for as long as any of them can live: one issued
   * by a refresh that raced this end still expires within the margin.
   */
  private endSession(familyId: string, userId: string, reason: string): Promise<void> {
    const until = new Date(Date.now() + SESSION_REVOCATION_S * 1000);
    return this.d.revocations.revokeTokens([familyId], userId, until, reason);
  }

  private async pair(user: UserRow, refreshToken: string, sessionId: string): Promise<Tokens> {
    return {
      access_token: await this.d.tokens.issue(user, { sessionId }),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_S,
    };
  }

  private async activeUser(userId: string): Promise<UserRow | undefined> {
    const u = await this.d.users.user(userId);
    return u?.active ? u : undefined;
  }

  private async limit(
    bucket: string,
    max: number,
    which: 'login_per_ip' | 'login_per_email' | 'verify_per_ip',
    ip: string,
    hashed?: string,
  ): Promise<void> {
    const hit = await this.d.limiter.hit(bucket, WINDOW_MS);
    if (hit.count <= max) return;
    // one lockout event per window and limit; the rest of the flood is only counted
    if (hit.count === max + 1)
      await this.d.security.record('LoginRateLimited', {
        limit: which,
        ip,
        ...(hashed ? { emailHash: hashed } : {}),
      });
    throw new RateLimitedError(
      `too many attempts: try again in ${Math.ceil(hit.retryAfterS / 60)} minute(s)`,
      hit.retryAfterS,
    );
  }

  /** Records the login (moving `last_login_at`) and waits, bounded, until `/auth/me` shows it. */
  private async loggedIn(userId: string, via: 'otp' | 'refresh', familyId: string): Promise<Date> {
    const at = new Date();
    const id = randomUUID();
    const event: LoginEvent = { type: 'UserLoggedIn', data: { userId, via, familyId, at: at.toISOString() } };
    const r = await this.d.store.append(
      streams.login(userId),
      [{ id, ...event, metadata: { correlationId: id, causationId: id, actor: userId, version: 1 } }],
      'any',
    );
    await this.d.waiter.waitFor(['identity'], r.position, this.d.consistencyTimeoutMs);
    return at;
  }
}
