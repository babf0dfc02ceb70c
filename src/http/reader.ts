/** The reader a request reads events as (its principal's user and permissions), for the read filter. */
import type { Request } from 'express';
import { readerOf, type Reader } from '../audit/visibility.js';
import { principalOf } from './auth.js';

export function readerOfRequest(req: Request): Reader {
  const p = principalOf(req);
  return readerOf(p.userId, p.permissions, p.isAdmin);
}
