/**
 * Whether a credential still holds, decided in one place for access tokens and API keys: its user is
 * active in the identity read model (read again whenever that read model moves, in any process), it
 * was issued after the user's last deactivation or deletion, and it was not revoked since (a
 * logout). The read model answers within the projection's lag; the revocations answer at once.
 */
import { UnauthorizedError } from '../../errors.js';
import type { IdentityQueries } from '../../projections/identity-queries.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import type { AccessTokens } from './access-tokens.js';
import type { Revocations } from './revocations.js';

/** An access token's active user and token id; throws UnauthorizedError saying why not. */
export type VerifyAccessToken = (token: string) => Promise<{ userId: string; tokenId: string }>;
/** Throws UnauthorizedError when a found API key no longer holds (its user deactivated or deleted). */
export type CheckKeyHolder = (holder: { readonly userId: string; readonly issuedAt: Date }) => Promise<void>;

/** active: the user is active; inactive: deactivated; unknown: no row (deleted, or not projected yet) */
type Standing = 'active' | 'inactive' | 'unknown';

export class CredentialGate {
  private readonly cache = new Map<string, { at: bigint | undefined; standing: Standing }>();

  constructor(
    private readonly tokens: AccessTokens,
    private readonly queries: Pick<IdentityQueries, 'user'>,
    private readonly waiter: Pick<ProjectionWaiter, 'reachedOf'>,
    private readonly revocations: Pick<Revocations, 'revoked'>,
  ) {}

  /** An access token's user must exist and be active; the token must not predate a deactivation or be revoked. */
  readonly verifyToken: VerifyAccessToken = async (token) => {
    const claims = await this.tokens.verify(token);
    const why = this.revocations.revoked({
      userId: claims.sub,
      issued: [claims.iat * 1000, claims.iat * 1000 + 999], // `iat` is in whole seconds
      id: claims.jti,
      session: claims.sid,
    });
    if (why === 'token')
      throw new UnauthorizedError(
        'this access token was revoked (logged out): log in again',
        'Authorization',
      );
    if (why === 'user' || (await this.standing(claims.sub)) !== 'active')
      throw new UnauthorizedError('User not found (deleted or deactivated)', 'Authorization');
    return { userId: claims.sub, tokenId: claims.jti };
  };

  /**
   * An API key's user must not be deactivated, and the key must not predate a deactivation or deletion.
   * A user the read model does not know yet passes: the bootstrap admin's key works before a
   * separate worker has projected them, and a deleted user's keys are revoked with the deletion.
   */
  readonly checkKey: CheckKeyHolder = async ({ userId, issuedAt }) => {
    const at = issuedAt.getTime();
    if (
      this.revocations.revoked({ userId, issued: [at, at] }) === 'user' ||
      (await this.standing(userId)) === 'inactive'
    )
      throw new UnauthorizedError(
        'this API key no longer works: its user was deactivated or deleted',
        'X-API-Key',
      );
  };

  private async standing(userId: string): Promise<Standing> {
    const at = this.waiter.reachedOf('identity');
    const hit = this.cache.get(userId);
    if (hit && at !== undefined && hit.at === at) return hit.standing;
    const user = await this.queries.user(userId);
    const standing: Standing = !user ? 'unknown' : user.active ? 'active' : 'inactive';
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(userId, { at, standing });
    return standing;
  }
}
