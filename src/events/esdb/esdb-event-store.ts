/**
 * The EventStore port on EventStoreDB (`@eventstore/db-client`, gRPC). The mapping decisions live
 * in the small modules next to this one: positions.ts ($all positions), expected-revision.ts,
 * event-mapping.ts, all-filter.ts, error-mapping.ts, truncation.ts (deleted events), scan-memo.ts.
 *
 * deleteStream is ESDB's soft delete (`deleteStream`), not `tombstoneStream`: the port requires
 * that a deleted stream reads as [] / undefined and that a later 'no_stream' append starts it
 * again, and only a soft-deleted stream can be written again (a tombstoned one refuses every
 * append forever). The events vanish from stream reads at once, from this adapter's `$all` reads
 * and subscriptions at once (truncation.ts), and from disk at the next scavenge. One difference
 * from a brand-new stream remains: a re-created stream's revisions continue after the old ones.
 */
import { EventStoreDBClient } from '@eventstore/db-client';
import { Subject, retry, shareReplay, takeUntil, type Observable } from 'rxjs';
import { ValidationError } from '../../errors.js';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
  SubscribeStreamOptions,
} from '../event-store.js';
import { AllReader } from './all-reader.js';
import { toEsdbConnectionString } from './connection-string.js';
import { isMissingStream, mapAppendError, mapCommonError } from './error-mapping.js';
import { toEventData } from './event-mapping.js';
import { toClientExpectedRevision } from './expected-revision.js';
import { watchHead } from './head-watch.js';
import { UNKNOWN_POSITION } from './positions.js';
import { pingServer, readStreamEvents, readStreamRevision } from './reads.js';
import { subscribeAll, subscribeStream } from './subscriptions.js';
import { streamTruncation, truncateStream } from './truncation.js';

/** The doorbell reconnects after this long when its subscription drops (it is only a wake-up hint). */
const HEAD_RETRY_MS = 1_000;

export class EsdbEventStore implements EventStore {
  readonly kind = 'esdb';
  private readonly truncation: (stream: string) => Promise<bigint>;
  private readonly all: AllReader;
  private readonly head$: Observable<bigint>;
  private readonly closed = new Subject<void>();

  constructor(private readonly client: EventStoreDBClient) {
    this.truncation = streamTruncation(client);
    this.all = new AllReader(client, this.truncation);
    this.head$ = watchHead(client, () => this.all.head()).pipe(
      retry({ delay: HEAD_RETRY_MS }),
      takeUntil(this.closed),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
  }

  /**
   * `url` is a connection string, e.g. `esdb://eventstore:2113?tls=false` (`kurrentdb://` works
   * too). Fails fast when the server does not answer.
   */
  static async connect(url: string): Promise<EsdbEventStore> {
    const store = new EsdbEventStore(EventStoreDBClient.connectionString(toEsdbConnectionString(url)));
    try {
      await store.ping();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new ValidationError('append needs at least one event', 'events');
    const expectedRevision = toClientExpectedRevision(expected);
    let result;
    try {
      result = await this.client.appendToStream(stream, events.map(toEventData), { expectedRevision });
    } catch (err) {
      throw mapAppendError(err, stream, expected);
    }
    // the server reports the last event's log position, which is that event's `$all` position
    const position = result.position?.commit ?? (await this.positionAt(stream, result.nextExpectedRevision));
    return { nextExpectedRevision: result.nextExpectedRevision, position };
  }

  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return readStreamEvents(this.client, stream, options);
  }

  streamRevision(stream: string): Promise<bigint | undefined> {
    return readStreamRevision(this.client, stream);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.all.read(options);
  }

  subscribeToAll(options?: SubscribeAllOptions): Observable<RecordedEvent> {
    return subscribeAll(this.client, this.truncation, options);
  }

  subscribeToStream(stream: string, options?: SubscribeStreamOptions): Observable<RecordedEvent> {
    return subscribeStream(this.client, stream, options);
  }

  async deleteStream(stream: string, expected?: bigint): Promise<void> {
    try {
      await this.client.deleteStream(stream, expected === undefined ? {} : { expectedRevision: expected });
    } catch (err) {
      if (expected !== undefined) throw mapAppendError(err, stream, expected);
      if (isMissingStream(err)) return; // nothing to delete, or deleted already
      throw mapCommonError(err);
    }
  }

  truncateBefore(stream: string, revision: bigint): Promise<void> {
    return truncateStream(this.client, stream, revision);
  }

  headPosition(): Promise<bigint> {
    return this.all.head();
  }

  watchHead(): Observable<bigint> {
    return this.head$;
  }

  ping(): Promise<void> {
    return pingServer(this.client);
  }

  async close(): Promise<void> {
    this.closed.next();
    this.closed.complete();
    await this.client.dispose();
  }

  /** Servers that leave the position out of an append result: read it from the event itself. */
  private async positionAt(stream: string, revision: bigint): Promise<bigint> {
    const [event] = await readStreamEvents(this.client, stream, { fromRevision: revision, maxCount: 1 });
    return event?.position ?? UNKNOWN_POSITION;
  }
}
