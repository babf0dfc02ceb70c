/**
 * How a long-lived claim stream (a schedule's ticks, a database trigger's batches) keeps only its
 * last events: each writer, after appending, truncates the stream to its last `keep` events each
 * time it has grown by `trimEvery`. Its writers decide on its last events only, and the stream's
 * revision (which their claims expect) stays; what the claims started (executions, chats) keeps the
 * history. `SINAS_CLAIM_STREAM_KEEP_EVENTS` sets `keep` (README "Retention of claim streams").
 */
import type { EventStore } from '../../events/event-store.js';

export interface StreamRetention {
  /** events kept (at least 2) */
  readonly keep: number;
  /** the stream is trimmed each time it grows by this many events (at least 2) */
  readonly trimEvery: number;
}

/** keeps `keep` events, trimmed each time the stream grows by half of that */
export const keepingEvents = (keep: number): StreamRetention => ({
  keep: Math.max(2, keep),
  trimEvery: Math.max(2, Math.floor(keep / 2)),
});

export const DEFAULT_RETENTION = keepingEvents(200);

/** After an append that left `stream` at revision `last`: trims it when it is due. */
export async function trimStream(
  store: EventStore,
  stream: string,
  last: bigint,
  retention: StreamRetention,
): Promise<void> {
  const count = last + 1n;
  // a writer may append two events in a row (a claim, then its outcome): within two of a multiple
  // catches each growth by trimEvery whichever event lands on it
  if (count <= BigInt(retention.keep) || count % BigInt(retention.trimEvery) > 1n) return;
  await store.truncateBefore(stream, count - BigInt(retention.keep));
}
