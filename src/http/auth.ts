/** Authentication by API key in `X-API-Key` or `Authorization: Bearer`. */
import type { Request, RequestHandler } from 'express';
import { UnauthorizedError } from '../errors.js';
import type { ApiKeys, Principal } from './api-keys.js';

export function authenticate(keys: ApiKeys): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('x-api-key') ?? bearer(req.get('authorization'));
    if (!header)
      return next(
        new UnauthorizedError('send an API key in X-API-Key or Authorization: Bearer', 'X-API-Key'),
      );
    keys
      .authenticate(header)
      .then((p) => {
        if (!p) return next(new UnauthorizedError('invalid or revoked API key', 'X-API-Key'));
        (req as Request & { principal: Principal }).principal = p;
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
