/**
 * Waits until some projections have applied every event they read that is in the store now. A
 * checkpoint only moves on events its projection reads, so the head of `$all` is no target: each
 * projection's own next unread event is. Bounded by `timeoutMs`; false when it ran out.
 */
import type pg from 'pg';
import type { EventStore } from '../events/event-store.js';
import { readCheckpoint } from './checkpoints.js';
import type { Projection } from './projection.js';
import type { ProjectionWaiter } from './waiter.js';

export async function settleProjections(
  pool: pg.Pool,
  store: EventStore,
  waiter: ProjectionWaiter,
  projections: readonly Projection[],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (const p of projections) {
    for (;;) {
      const cp = (await readCheckpoint(pool, p.name))?.position ?? 0n;
      const unread = await store.readAll({
        after: cp,
        maxCount: 1000,
        ...(p.filter ? { filter: p.filter } : {}),
      });
      if (unread.length === 0) break;
      const left = deadline - Date.now();
      if (left <= 0 || !(await waiter.waitFor([p.name], unread.at(-1)!.position, left))) return false;
    }
  }
  return true;
}
