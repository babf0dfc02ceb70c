/**
 * Streams this process read lately, kept in memory and brought up to date at each read: from the
 * store's memory of the latest events when it reaches back far enough (no query), else by reading
 * only the events after the cached ones. For the turn runtime, which reads a chat, its agent and
 * its functions at every turn: a long chat costs a short read, an unchanged agent none.
 *
 * What it returns can trail an append another process committed a moment ago, as a subscription
 * can; callers that write decide with expected revisions, so a stale read costs a retry, never a
 * wrong write. Bounded by the number of events held (least recently read streams go first).
 */
import type { EventStore, RecordedEvent } from './event-store.js';

interface Entry {
  readonly events: readonly RecordedEvent[];
  /** the stream is known completely up to this `$all` position (undefined: unknown) */
  readonly asOf: bigint | undefined;
}

export class StreamCache {
  /** insertion order is recency: a read moves its stream to the end */
  private readonly entries = new Map<string, Entry>();
  private held = 0;

  constructor(
    private readonly store: EventStore,
    private readonly maxEvents = 20_000,
  ) {}

  /** `atLeast`: a revision the result must reach (this process wrote it), read from the store if the memory trails */
  async read(stream: string, atLeast?: bigint): Promise<readonly RecordedEvent[]> {
    const events = await this.readNow(stream);
    const last = events.at(-1)?.revision ?? -1n;
    if (atLeast === undefined || last >= atLeast) return events;
    const rest = await this.store.readStream(stream, { fromRevision: last + 1n });
    const caught = [...events, ...rest];
    const now = this.entries.get(stream);
    if (!now || now.events.length <= caught.length) this.put(stream, { events: caught, asOf: now?.asOf });
    return caught;
  }

  private async readNow(stream: string): Promise<readonly RecordedEvent[]> {
    const cached = this.entries.get(stream);
    const known = cached?.events ?? [];
    const after = known.at(-1)?.revision ?? -1n;
    // asked first: whatever the read below returns is complete up to here
    const asOf = this.store.recentPosition?.();
    const newer =
      this.store.recentEvents?.(stream, {
        revision: after,
        ...(cached?.asOf !== undefined ? { position: cached.asOf } : {}),
      }) ?? (await this.store.readStream(stream, known.length > 0 ? { fromRevision: after + 1n } : {}));
    const events = newer.length > 0 ? [...known, ...newer] : known;
    // a read that raced another of the same stream may have been overtaken: keep the newer
    const now = this.entries.get(stream);
    if (!now || now === cached || now.events.length <= events.length) this.put(stream, { events, asOf });
    return events;
  }

  /** Drops a stream, so the next read goes to the store (a caller found it stale or deleted). */
  forget(stream: string): void {
    const cached = this.entries.get(stream);
    if (!cached) return;
    this.entries.delete(stream);
    this.held -= cached.events.length;
  }

  private put(stream: string, entry: Entry): void {
    this.forget(stream);
    if (entry.events.length > this.maxEvents) return;
    this.entries.set(stream, entry);
    this.held += entry.events.length;
    for (const [oldest] of this.entries) {
      if (this.held <= this.maxEvents) break;
      this.forget(oldest);
    }
  }
}
