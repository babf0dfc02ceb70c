/**
 * Helpers for tests of the Postgres event store's memory of the latest events (RECENT_EVENTS) and
 * what is built on it.
 */
import type { Subscription } from 'rxjs';
import type { AppendResult, EventStore, RecordedEvent } from '../../src/events/event-store.js';
import { ev } from '../int/event-store.contract.js';
import { until } from './until.js';

/**
 * Makes the store follow the head, as a running process's subscriptions do (its memory fills only
 * then); resolves once it does. Unsubscribe the result when done.
 */
export async function following(store: EventStore): Promise<Subscription> {
  const after = await store.headPosition();
  const sub = store.subscribeToAll({ after, filter: { categories: ['nobody'] } }).subscribe();
  await until('the store to follow the head', () => store.recentPosition?.() !== undefined);
  return sub;
}

/** Resolves once `store` has delivered every event up to `position` (it has them in memory). */
export function delivered(store: EventStore, position: bigint): Promise<void> {
  return until(`delivery up to ${position}`, () => (store.recentPosition?.() ?? -1n) >= position);
}

/** `n` events `type0`, `type1`, ... appended to `stream` in appends of up to `chunk`; the last result. */
export async function appendMany(
  store: EventStore,
  stream: string,
  n: number,
  type = 'E',
  chunk = 100,
): Promise<AppendResult> {
  let last: AppendResult | undefined;
  for (let i = 0; i < n; i += chunk) {
    const events = Array.from({ length: Math.min(chunk, n - i) }, (_, k) =>
      ev(`${type}${i + k}`, { i: i + k }),
    );
    last = await store.append(stream, events, 'any');
  }
  if (!last) throw new Error('appendMany: nothing to append');
  return last;
}

/** An event as plain data (lazily parsed fields read, createdAt as a number), to compare with deep.equal. */
export function plain(e: RecordedEvent) {
  return {
    id: e.id,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    streamName: e.streamName,
    revision: e.revision,
    position: e.position,
    createdAt: e.createdAt.getTime(),
  };
}
