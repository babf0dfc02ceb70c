/** Deterministic ids: the same key always gives the same UUID-shaped id (so retries find their earlier work). */
import { createHash } from 'node:crypto';

export function stableUuid(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
