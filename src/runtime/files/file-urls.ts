/**
 * Signed serve URLs (reference §5.8): a JWT `{file_id, version, purpose:"file_serve", exp}` signed
 * (HS256) with a key derived from the platform's JWT secret for this purpose only, so a serve token
 * is never an access token nor the other way round. Expiry is clamped to 60 s – 30 days.
 * A second purpose, `file_pending`, names an upload's bytes while its collection's content filter
 * decides on them (`{blob, sha256, size, content_type}`): the same route serves both.
 */
import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { NotFoundError } from '../../errors.js';

const PURPOSE = 'file_serve';
const PENDING = 'file_pending';
export const MIN_EXPIRY = 60;
export const MAX_EXPIRY = 2_592_000;

export interface ServeClaim {
  readonly fileId: string;
  readonly version: number;
}

/** an upload's bytes before they are a file version (content-filter.ts) */
export interface PendingClaim {
  readonly blobKey: string;
  readonly sha256: string;
  readonly size: number;
  readonly contentType: string;
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
    return this.signed({ file_id: claim.fileId, version: claim.version, purpose: PURPOSE }, expiresIn, now);
  }

  /** a link to an upload's pending bytes */
  async signPending(claim: PendingClaim, expiresIn: number, now = Date.now()) {
    const { blobKey: blob, sha256, size, contentType: content_type } = claim;
    return this.signed({ blob, sha256, size, content_type, purpose: PENDING }, expiresIn, now);
  }

  private async signed(payload: Record<string, unknown>, expiresIn: number, now: number) {
    const seconds = Math.min(MAX_EXPIRY, Math.max(MIN_EXPIRY, Math.floor(expiresIn)));
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + seconds)
      .sign(this.key);
    return { url: `${this.origin}/files/serve/${token}`, expiresIn: seconds };
  }

  /** the claim of a valid, unexpired token; anything else is a 404 (no hint what was wrong) */
  async verify(token: string): Promise<ServeClaim | PendingClaim> {
    try {
      const { payload: p } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (p.purpose === PURPOSE && typeof p.file_id === 'string' && Number.isInteger(p.version))
        return { fileId: p.file_id, version: p.version as number };
      if (
        p.purpose === PENDING &&
        typeof p.blob === 'string' &&
        typeof p.sha256 === 'string' &&
        Number.isInteger(p.size) &&
        typeof p.content_type === 'string'
      )
        return { blobKey: p.blob, sha256: p.sha256, size: p.size as number, contentType: p.content_type };
      throw new Error('not a serve token');
    } catch {
      throw new NotFoundError('this file link is invalid or has expired', 'token');
    }
  }
}
