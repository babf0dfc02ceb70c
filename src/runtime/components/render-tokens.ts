/**
 * Render tokens (reference §5.9): a JWT `{namespace, name, user_id, purpose:"component_render"}`
 * valid one hour, signed (HS256) with a key derived from the platform's JWT secret for this purpose
 * alone, so a render token is never an access token nor a file link, and the other way round.
 * A token about to expire is re-issued when a chat is read back (`renewIfDue`).
 */
import { createHmac } from 'node:crypto';
import { decodeJwt, jwtVerify, SignJWT } from 'jose';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';

const PURPOSE = 'component_render';
export const RENDER_TOKEN_TTL_S = 3600;
/** a token read back with less than this left is re-issued */
export const RENEW_WITHIN_S = 600;

export interface RenderClaim {
  readonly namespace: string;
  readonly name: string;
  readonly userId: string;
}

export class RenderTokens {
  private readonly key: Uint8Array;

  constructor(jwtSecret: string) {
    this.key = createHmac('sha256', jwtSecret).update('sinas component_render v1').digest();
  }

  async sign(claim: RenderClaim, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT({
      namespace: claim.namespace,
      name: claim.name,
      user_id: claim.userId,
      purpose: PURPOSE,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + RENDER_TOKEN_TTL_S)
      .sign(this.key);
  }

  /** The claim of a valid token for `namespace/name`: 401 when invalid, 403 for another component. */
  async verify(token: string | undefined, namespace: string, name: string): Promise<RenderClaim> {
    if (!token) throw new UnauthorizedError('a render token is required', 'token');
    let claim: RenderClaim;
    try {
      const { payload: p } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (p.purpose !== PURPOSE || typeof p.namespace !== 'string' || typeof p.name !== 'string')
        throw new Error('not a render token');
      claim = { namespace: p.namespace, name: p.name, userId: String(p.user_id) };
    } catch {
      throw new UnauthorizedError('the render token is invalid or has expired', 'token');
    }
    if (claim.namespace !== namespace || claim.name !== name)
      throw new ForbiddenError('the render token was issued for another component', 'token');
    return claim;
  }

  /** `token` itself while it has more than ten minutes left, else a new one for the same claim. */
  async renewIfDue(token: string, now = Date.now()): Promise<string> {
    let p;
    try {
      p = decodeJwt(token);
    } catch {
      return token; // not a token of ours: left as it is
    }
    if (p.purpose !== PURPOSE || typeof p.exp !== 'number') return token;
    if (p.exp - Math.floor(now / 1000) > RENEW_WITHIN_S) return token;
    // only a token this platform signed is renewed (a forged one stays as it was)
    const valid = await jwtVerify(token, this.key, { algorithms: ['HS256'], currentDate: new Date(0) })
      .then(() => true)
      .catch(() => false);
    if (!valid) return token;
    const claim = { namespace: String(p.namespace), name: String(p.name), userId: String(p.user_id) };
    return this.sign(claim, now);
  }
}
