/**
 * Authentication by API key in `X-API-Key`, or `Authorization: Bearer` with an access token (a JWT,
 * tried first when the value looks like one) or an API key; the principal carries the permissions of
 * the user's active roles (read per request, cached until the identity read model moves). Whether a
 * credential still holds (its user active, not revoked) is the runtime's credential gate.
 */
import type { Request, RequestHandler } from 'express';
import { hasPermission, type PermissionMap } from '../commands/identity/permissions.js';
import { UnauthorizedError } from '../errors.js';
import type { ApiKeys, Principal } from '../runtime/auth/api-keys.js';
import type { CheckKeyHolder, VerifyAccessToken } from '../runtime/auth/credential-gate.js';

export type PermissionsOf = (userId: string) => Promise<PermissionMap>;

export interface AuthDeps {
  readonly keys: ApiKeys;
  readonly permissionsOf: PermissionsOf;
  readonly verifyToken: VerifyAccessToken;
  readonly checkKey: CheckKeyHolder;
  readonly looksLikeToken: (value: string) => boolean;
}

export function authenticate({
  keys,
  permissionsOf,
  verifyToken,
  checkKey,
  looksLikeToken,
}: AuthDeps): RequestHandler {
  return (req, _res, next) => {
    const apiKey = req.get('x-api-key');
    const header = apiKey ?? bearer(req.get('authorization'));
    if (!header)
      return next(
        new UnauthorizedError(
          'send an access token in Authorization: Bearer, or an API key in X-API-Key',
          'Authorization',
        ),
      );
    if (apiKey === undefined && looksLikeToken(header)) {
      verifyToken(header)
        .then(async ({ userId, tokenId }) => {
          const permissions = await permissionsOf(userId);
          const principal: Principal = {
            userId,
            keyId: `token:${tokenId}`,
            permissions,
            narrowed: false,
            isAdmin: hasPermission(permissions, 'sinas.*:all'),
          };
          (req as Request & { principal: Principal }).principal = principal;
          setRecheck(req, () => verifyToken(header).then(() => undefined));
          next();
        })
        .catch(next);
      return;
    }
    keys
      .authenticate(header)
      .then(async (holder) => {
        if (!holder) return next(new UnauthorizedError('invalid or revoked API key', 'X-API-Key'));
        await checkKey(holder);
        const { keyPermissions, issuedAt: _issued, ...who } = holder;
        const owner = await permissionsOf(holder.userId);
        // a key with its own map may do what both the map and its owner's roles allow, as they are now
        const permissions = keyPermissions
          ? Object.fromEntries(
              Object.entries(keyPermissions).filter(([k, v]) => v && hasPermission(owner, k)),
            )
          : owner;
        const principal: Principal = {
          ...who,
          permissions,
          narrowed: keyPermissions !== null,
          isAdmin: (holder.isAdmin && !keyPermissions) || hasPermission(permissions, 'sinas.*:all'),
        };
        (req as Request & { principal: Principal }).principal = principal;
        setRecheck(req, async () => {
          const still = await keys.authenticate(header);
          if (!still) throw new UnauthorizedError('this API key was revoked or has expired', 'X-API-Key');
          await checkKey(still);
        });
        next();
      })
      .catch(next);
  };
}

type Recheck = () => Promise<void>;
const rechecks = new WeakMap<Request, Recheck>();

function setRecheck(req: Request, recheck: Recheck): void {
  rechecks.set(req, recheck);
}

/**
 * Checks again that the request's credential still holds (rejects with UnauthorizedError when its
 * user was deactivated or deleted, the key revoked, the login ended): what a long-lived response
 * (an SSE stream) asks now and then, so a revoked credential does not keep one open.
 */
export function credentialRecheck(req: Request): Recheck | undefined {
  return rechecks.get(req);
}

function bearer(h: string | undefined): string | undefined {
  const m = h?.match(/^Bearer\s+(.+)$/i);
  return m?.[1]?.trim();
}

export function principalOf(req: Request): Principal {
  const p = (req as Request & { principal?: Principal }).principal;
  if (!p) throw new UnauthorizedError('not authenticated');
  return p;
}

/** Whether the caller holds `permission` (administrators hold everything). */
export function holds(req: Request, permission: string): boolean {
  const p = principalOf(req);
  return p.isAdmin || hasPermission(p.permissions, permission);
}
