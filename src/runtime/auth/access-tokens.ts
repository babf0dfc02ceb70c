/**
 * Access tokens: JWTs signed with HS256 under SINAS_JWT_SECRET (in development, a secret generated
 * once into SINAS_DATA_DIR, like the encryption key). Claims: `sub` (user id), `email`, `iat`, `exp`,
 * `jti`, `typ` ('access' after a login, 'function' for a function run's context), `sid` (after a
 * login: the login's session, its refresh-token family, so a logout ends its access tokens too) and
 * `iss`. They carry no permissions: those are read from the user's roles on every request.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errors, jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError, ValidationError } from '../../errors.js';

export type TokenType = 'access' | 'function';

export interface AccessClaims {
  readonly sub: string;
  readonly email: string | null;
  readonly typ: TokenType;
  readonly jti: string;
  /** the login session (refresh-token family) the token belongs to; null for a function run's */
  readonly sid: string | null;
  readonly iat: number;
  readonly exp: number;
}

const ISSUER = 'sinas';
/** an access token after a login or refresh lives 15 minutes */
export const ACCESS_TOKEN_TTL_S = 900;

/** Three base64url segments whose header starts `{"`: a JWT, not an API key. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(token);
}

export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    if (secret.length < 32) throw new ValidationError('the JWT secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  /** A signed token for `userId`, valid `ttlS` seconds from `now`. */
  async issue(
    user: { readonly id: string; readonly email: string | null },
    o: {
      readonly typ?: TokenType;
      readonly ttlS?: number;
      readonly now?: Date;
      readonly sessionId?: string;
    } = {},
  ): Promise<string> {
    const iat = Math.floor((o.now ?? new Date()).getTime() / 1000);
    return new SignJWT({
      email: user.email,
      typ: o.typ ?? 'access',
      ...(o.sessionId ? { sid: o.sessionId } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (o.ttlS ?? ACCESS_TOKEN_TTL_S))
      .setJti(randomUUID())
      .sign(this.key);
  }

  /** The token's claims; UnauthorizedError (saying why) when it is expired, tampered or not ours. */
  async verify(token: string): Promise<AccessClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: ISSUER }));
    } catch (err) {
      if (err instanceof errors.JWTExpired)
        throw new UnauthorizedError(
          'the access token has expired: refresh it or log in again',
          'Authorization',
        );
      if (err instanceof errors.JOSEError)
        throw new UnauthorizedError(
          'invalid access token (bad signature, malformed, or not issued here)',
          'Authorization',
        );
      throw err;
    }
    const { sub, email, typ, jti, sid, iat, exp } = payload;
    if (
      typeof sub !== 'string' ||
      (typ !== 'access' && typ !== 'function') ||
      typeof jti !== 'string' ||
      (sid !== undefined && typeof sid !== 'string') ||
      typeof iat !== 'number' ||
      typeof exp !== 'number'
    )
      throw new UnauthorizedError('invalid token payload', 'Authorization');
    return { sub, email: typeof email === 'string' ? email : null, typ, jti, sid: sid ?? null, iat, exp };
  }
}

/** SINAS_JWT_SECRET, or in development a secret generated once into `dataDir/jwt.secret`. */
export function loadJwtSecret(
  configured: string | undefined,
  env: string,
  dataDir: string,
  warn: (m: string) => void,
): string {
  if (configured) return configured;
  if (env === 'production')
    throw new ValidationError('SINAS_JWT_SECRET is required in production', 'SINAS_JWT_SECRET');
  const file = path.resolve(dataDir, 'jwt.secret');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
    chmodSync(file, 0o600);
    warn(
      `development: generated a JWT signing secret in ${file}; set SINAS_JWT_SECRET for production and for several processes`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}
