/**
 * Login events. `login-<userId>`: each successful login or refresh (it moves the user's
 * `last_login_at`). `security-<yyyy-mm-dd>`: failed logins, rate-limit lockouts and refresh-token
 * reuse, recorded at a bounded rate per IP. No event carries a code, a token or a plain email: an
 * email appears only as `emailHash`, the first 16 hex digits of its SHA-256.
 */

export type LoginEvent = {
  readonly type: 'UserLoggedIn';
  readonly data: {
    readonly userId: string;
    /** 'otp': a verified code; 'refresh': a refresh token exchanged */
    readonly via: 'otp' | 'refresh';
    /** the refresh-token family (one per login) */
    readonly familyId: string;
    readonly at: string;
  };
};

export type LoginFailure =
  | 'unknown_email'
  | 'inactive_user'
  | 'unknown_session'
  | 'wrong_code'
  | 'attempts_exhausted'
  | 'expired_code'
  | 'already_used';

export type SecurityEvent =
  | {
      readonly type: 'LoginFailed';
      readonly data: {
        readonly reason: LoginFailure;
        readonly ip: string;
        readonly emailHash?: string;
        readonly userId?: string;
        readonly sessionId?: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'LoginRateLimited';
      readonly data: {
        /** which limit: login requests per IP or per email, code checks per IP */
        readonly limit: 'login_per_ip' | 'login_per_email' | 'verify_per_ip';
        readonly ip: string;
        readonly emailHash?: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'RefreshTokenReused';
      readonly data: {
        readonly userId: string;
        readonly familyId: string;
        /** the id (not the value) of the consumed token presented again */
        readonly tokenId: string;
        readonly revokedTokens: number;
        readonly ip: string;
        readonly at: string;
      };
    }
  | {
      /** one per IP and minute once its limit is reached: later events of that minute are not recorded */
      readonly type: 'SecurityEventsSuppressed';
      readonly data: {
        readonly ip: string;
        readonly limit: number;
        readonly windowStart: string;
        readonly windowEnd: string;
        readonly firstSuppressed: SecurityEvent['type'];
        readonly at: string;
      };
    };
