/**
 * Who owns the stream an event belongs to, as the read filter (visibility.ts) needs it: the user in
 * a stream's first event (chats, executions, API keys, event subscriptions: immutable, so cached
 * for good), and the owner of a configuration resource at a given revision (the `ownerId` of the
 * last `…Created` at or before it: a deleted resource may be created again by someone else on the
 * same stream). Both are read from the store once and cached, bounded.
 */
import type { EventStore, RecordedEvent } from '../events/event-store.js';

const MAX_CACHED = 10_000;

interface Creations {
  /** the last revision read */
  scanned: bigint;
  /** (revision, owner) of every Created event, in revision order */
  readonly points: [bigint, string][];
}

const ownerIn = (data: unknown): string => {
  const d = data as { userId?: unknown; ownerId?: unknown } | undefined;
  const id = d?.userId ?? d?.ownerId;
  return typeof id === 'string' ? id : '';
};

export class StreamOwners {
  /** stream → the owner named by its first event ('' when none) */
  private readonly firsts = new Map<string, string>();
  private readonly creations = new Map<string, Creations>();

  constructor(private readonly store: EventStore) {}

  /** The user named (`userId` or `ownerId`) by the first event of `e`'s stream; '' when none. */
  async ofFirstEvent(e: RecordedEvent): Promise<string> {
    const known = this.firsts.get(e.streamName);
    if (known !== undefined) return known;
    const first = e.revision === 0n ? e : (await this.store.readStream(e.streamName, { maxCount: 1 }))[0];
    const owner = first ? ownerIn(first.data) : '';
    if (first) this.remember(this.firsts, e.streamName, owner);
    return owner;
  }

  /** The owner of the resource whose stream holds `e`, as it was at `e`'s revision ('' when none). */
  async ofResourceAt(e: RecordedEvent): Promise<string> {
    if (e.type.endsWith('Created') && ownerIn(e.data)) return ownerIn(e.data);
    let c = this.creations.get(e.streamName);
    if (!c || c.scanned < e.revision) c = await this.scan(e.streamName, c);
    let owner = '';
    for (const [revision, id] of c.points) if (revision <= e.revision) owner = id;
    return owner;
  }

  /** Reads the stream on from where the cache stopped, noting each creation and its owner. */
  private async scan(stream: string, c: Creations | undefined): Promise<Creations> {
    const from = c ? c.scanned + 1n : 0n;
    const next: Creations = c ?? { scanned: -1n, points: [] };
    for (const e of await this.store.readStream(stream, { fromRevision: from })) {
      if (e.type.endsWith('Created')) next.points.push([e.revision, ownerIn(e.data)]);
      next.scanned = e.revision;
    }
    this.remember(this.creations, stream, next);
    return next;
  }

  private remember<V>(cache: Map<string, V>, key: string, value: V): void {
    if (cache.size >= MAX_CACHED && !cache.has(key)) cache.clear();
    cache.set(key, value);
  }
}
