/**
 * Signed serve URLs (reference §5.8): a JWT `{file_id, version, purpose:"file_serve", exp}` signed
 * (HS256) with a key derived from the platform's JWT secret for this purpose only, so a serve token
 * is never an access token nor the other way round. Expiry is clamped to 60 s – 30 days.
 */
import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { NotFoundError } from '../../errors.js';

const PURPOSE = 'file_serve';
export const MIN_EXPIRY = 60;
export const MAX_EXPIRY = 2_592_000;

export interface ServeClaim {
  readonly fileId: string;
  readonly version: number;
}

export class FileUrls {
  private readonly key: Uint8Array;

  constructor(
    jwtSecret: string,
    /** the origin URLs start with, without a trailing slash */
    private readonly origin: string,
  ) {
    this.key = createHmac('sha256', jwtSecret).update('sinas file_serve v1').digest();
  }

  /** the URL and the expiry it got (clamped) */
  async sign(claim: ServeClaim, expiresIn: number, now = Date.now()) {
    const seconds = Math.min(MAX_EXPIRY, Math.max(MIN_EXPIRY, Math.floor(expiresIn)));
    const token = await new SignJWT({ file_id: claim.fileId, version: claim.version, purpose: PURPOSE })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + seconds)
      .sign(this.key);
    return { url: `${this.origin}/files/serve/${token}`, expiresIn: seconds };
  }

  /** the claim of a valid, unexpired serve token; anything else is a 404 (no hint what was wrong) */
  async verify(token: string): Promise<ServeClaim> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (
        payload.purpose !== PURPOSE ||
        typeof payload.file_id !== 'string' ||
        !Number.isInteger(payload.version)
      )
        throw new Error('not a serve token');
      return { fileId: payload.file_id, version: payload.version as number };
    } catch {
      throw new NotFoundError('this file link is invalid or has expired', 'token');
    }
  }
}
