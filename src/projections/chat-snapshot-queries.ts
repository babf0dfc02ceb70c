/**
 * A chat read whole and consistent: now, in one read-only snapshot of the read models (a turn is
 * never completed without its reply), or as of a revision of its stream, folded from its events
 * with the chats projection's own code (as-of.ts), so it is exactly what the read model said then.
 */
import type pg from 'pg';
import { NotFoundError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import { streams } from '../events/stream-names.js';
import { projectedAsOf } from './as-of.js';
import { ChatQueries } from './chat-queries.js';
import { chatsProjection } from './chats.js';
import { inTransaction } from './transaction.js';

export class ChatSnapshotQueries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
  ) {}

  /** `read` with queries that all see one snapshot of the read models. */
  now<T>(read: (q: ChatQueries) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (client) => read(new ChatQueries(client)), { snapshot: true });
  }

  /** `read` with queries over the chat as it was at `revision` (a NotFoundError on `as_of` when it has none). */
  async asOf<T>(chatId: string, revision: number, read: (q: ChatQueries) => Promise<T>): Promise<T> {
    const events = await this.store.readStream(streams.chat(chatId), {
      fromRevision: 0n,
      maxCount: revision + 1,
    });
    if (events.length <= revision) throw new NotFoundError(`the chat has no revision ${revision}`, 'as_of');
    return projectedAsOf(this.pool, chatsProjection, events, (client, tables) =>
      read(new ChatQueries(client, tables as ConstructorParameters<typeof ChatQueries>[1])),
    );
  }
}
