/**
 * Authentication by API key in `X-API-Key` or `Authorization: Bearer`; the principal carries the
 * permissions of the user's active roles (read per request, cached until the identity read model moves).
 */
import type { Request, RequestHandler } from 'express';
import { hasPermission, type PermissionMap } from '../commands/identity/permissions.js';
import { UnauthorizedError } from '../errors.js';
import type { ApiKeys, Principal } from './api-keys.js';

export type PermissionsOf = (userId: string) => Promise<PermissionMap>;

export function authenticate(keys: ApiKeys, permissionsOf: PermissionsOf): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('x-api-key') ?? bearer(req.get('authorization'));
    if (!header)
      return next(
        new UnauthorizedError('send an API key in X-API-Key or Authorization: Bearer', 'X-API-Key'),
      );
    keys
      .authenticate(header)
      .then(async (holder) => {
        if (!holder) return next(new UnauthorizedError('invalid or revoked API key', 'X-API-Key'));
        const { keyPermissions, ...who } = holder;
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
          isAdmin: (holder.isAdmin && !keyPermissions) || hasPermission(permissions, 'sinas.*:all'),
        };
        (req as Request & { principal: Principal }).principal = principal;
        next();
      })
      .catch(next);
  };
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
