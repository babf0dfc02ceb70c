/**
 * Deleted events are hidden from `$all` here. A soft delete only sets the stream's `$tb`
 * (truncate-before) metadata; stream reads honour it at once, but ESDB keeps returning the events
 * from `$all` until a scavenge removes them. The port says a deleted stream's events are gone, so
 * `$all` reads and subscriptions drop every event whose revision is below its stream's `$tb`.
 * A re-created stream moves `$tb` to its first new revision, so the old events stay hidden.
 * truncateBefore (bounded retention) raises the same `$tb`, keeping the stream's other metadata and
 * its revision: the server hides the events below it from stream reads, and scavenges them.
 */
import type { EventStoreDBClient, StreamMetadata } from '@eventstore/db-client';
import type { RecordedEvent } from '../event-store.js';
import { mapCommonError } from './error-mapping.js';

/** `$tb` as a revision: absent or not a number means nothing is truncated. */
export function truncateBefore(metadata: { readonly truncateBefore?: unknown } | undefined): bigint {
  const tb = metadata?.truncateBefore;
  // a soft delete stores long.MaxValue, which JSON.parse rounds up to 2^63: still above every revision
  return typeof tb === 'number' && Number.isFinite(tb) && tb > 0 ? BigInt(Math.trunc(tb)) : 0n;
}

/** The metadata that raises `$tb` to `revision`, the rest kept; undefined when it is there already. */
export function raisedTruncation(
  metadata: StreamMetadata | undefined,
  revision: bigint,
): StreamMetadata | undefined {
  if (truncateBefore(metadata) >= revision) return undefined;
  return { ...metadata, truncateBefore: Number(revision) };
}

export async function truncateStream(client: EventStoreDBClient, stream: string, revision: bigint) {
  try {
    const raised = raisedTruncation((await client.getStreamMetadata(stream)).metadata, revision);
    if (raised) await client.setStreamMetadata(stream, raised);
  } catch (err) {
    throw mapCommonError(err);
  }
}

export function streamTruncation(client: EventStoreDBClient): (stream: string) => Promise<bigint> {
  return async (stream) => {
    try {
      return truncateBefore((await client.getStreamMetadata(stream)).metadata);
    } catch (err) {
      throw mapCommonError(err);
    }
  };
}

/** Answers "is this event still there?", remembering each stream's `$tb` (up to `maxStreams`). */
export class VisibleEvents {
  private readonly known = new Map<string, bigint>();

  constructor(
    private readonly lookup: (stream: string) => Promise<bigint>,
    private readonly maxStreams = 10_000,
  ) {}

  async isVisible(event: RecordedEvent): Promise<boolean> {
    return event.revision >= (await this.truncation(event.streamName));
  }

  /** Looks up the streams not known yet, concurrently, so a page costs one round trip, not one per stream. */
  async preload(streams: Iterable<string>): Promise<void> {
    const unknown = [...new Set(streams)].filter((s) => !this.known.has(s));
    await Promise.all(unknown.map((s) => this.truncation(s)));
  }

  private async truncation(stream: string): Promise<bigint> {
    const cached = this.known.get(stream);
    if (cached !== undefined) return cached;
    const tb = await this.lookup(stream);
    if (this.known.size >= this.maxStreams) this.known.delete(this.known.keys().next().value as string);
    this.known.set(stream, tb);
    return tb;
  }
}
