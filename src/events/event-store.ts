/**
 * The EventStore port. Two adapters implement it: Postgres (src/events/postgres) and
 * EventStoreDB (src/events/esdb). Both pass test/int/event-store.contract.ts.
 */
import type { Observable } from 'rxjs';

/** Metadata every stored event carries (DESIGN §4). */
export interface EventMetadata {
  readonly correlationId: string;
  readonly causationId: string;
  /** user id, or 'system' */
  readonly actor: string;
  readonly commandId?: string;
  /** schema version of `data` */
  readonly version: number;
  readonly [extra: string]: unknown;
}

/** An event as given to `append`. */
export interface NewEvent {
  readonly id: string; // uuid
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: EventMetadata;
}

/** An event as read back. `position` is its place in `$all` (strictly increasing, gaps allowed). */
export interface RecordedEvent extends NewEvent {
  readonly streamName: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly createdAt: Date;
}

/** 'no_stream': the stream must not exist; 'exists': it must; 'any': no check; bigint: its last revision. */
export type ExpectedRevision = 'no_stream' | 'exists' | 'any' | bigint;

export interface AppendResult {
  /** revision of the last event appended */
  readonly nextExpectedRevision: bigint;
  /** `$all` position of the last event appended */
  readonly position: bigint;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  readonly direction?: Direction;
  /** inclusive; default start (forwards) or end (backwards) */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface AllFilter {
  /** stream categories (prefix before the first '-') */
  readonly categories?: readonly string[];
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** exclusive: events strictly after this position; default from the start */
  readonly after?: bigint;
  readonly maxCount?: number;
  readonly filter?: AllFilter;
}

export interface SubscribeAllOptions {
  /** exclusive; undefined = from the start */
  readonly after?: bigint;
  readonly filter?: AllFilter;
}

export interface SubscribeStreamOptions {
  /** exclusive; undefined = from the start */
  readonly afterRevision?: bigint;
}

/** An event as a replay sends it: its type, revision and data, with the data's stored JSON text. */
export interface ReplayedEvent {
  readonly type: string;
  readonly revision: bigint;
  /** parsed from storedData when read */
  readonly data: Record<string, unknown>;
  /** the data as the JSON text the store returned */
  readonly storedData: string;
  /** the data fields the replay was asked for, as text (null when absent or null) */
  readonly fields: Readonly<Record<string, string | null>>;
}

export interface ReplayOptions {
  /** top-level data fields to read as text for each event (cheaper than parsing its data) */
  readonly fields?: readonly string[];
}

export interface EventStore {
  /** Appends all events atomically, or none. Throws ConcurrencyError on a revision mismatch. */
  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Reads a stream; [] when it does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * The stream's events after `after.revision` from this process's memory of the latest events
   * appended, with no query; undefined when that memory may not hold them all (or the adapter keeps
   * none). `after.position`: the `$all` position up to which the caller already knows the stream
   * completely (from recentPosition), which lets an unchanged stream be answered from memory. Like
   * a subscription, it can trail another process's append by the notification delay.
   */
  recentEvents?(stream: string, after: { revision: bigint; position?: bigint }): RecordedEvent[] | undefined;
  /**
   * The `$all` position this process's memory of the latest events has reached (undefined without
   * one): a stream read after asking is complete up to at least this position.
   */
  recentPosition?(): bigint | undefined;
  /**
   * Pages of a stream's events after `afterRevision`, as far as the stream reached when read, with
   * only what a replay to a client sends (no metadata, time or ids: less for the database to turn
   * into text), and the data fields asked for. Nothing live: a subscription after the last revision
   * read continues it.
   */
  readStreamReplay?(
    stream: string,
    afterRevision: bigint,
    options?: ReplayOptions,
  ): AsyncIterable<readonly ReplayedEvent[]>;
  /** The stream's last revision, or undefined when it does not exist. */
  streamRevision(stream: string): Promise<bigint | undefined>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch up from `after`, then follow live: every matching event exactly once, in `$all` order. */
  subscribeToAll(options?: SubscribeAllOptions): Observable<RecordedEvent>;
  /** Catch up a stream from `afterRevision`, then follow it live. */
  subscribeToStream(stream: string, options?: SubscribeStreamOptions): Observable<RecordedEvent>;
  /**
   * Hard-deletes a stream and its events. A later append with 'no_stream' starts it afresh.
   * `expected`: delete only while the stream's last revision is this one (else ConcurrencyError),
   * so a sweep that decided on what it read never deletes an event appended since.
   */
  deleteStream(stream: string, expected?: bigint): Promise<void>;
  /**
   * Drops the stream's events below `revision` (bounded retention of a long-lived stream): reads,
   * replays and subscriptions start at the first kept one. The stream's revision is unchanged, so
   * appends with an expected revision go on as before. Never un-drops: a lower `revision` than an
   * earlier call's changes nothing.
   */
  truncateBefore(stream: string, revision: bigint): Promise<void>;
  /** The position of the last event in `$all`, or 0n when empty. */
  headPosition(): Promise<bigint>;
  /**
   * A doorbell: emits (at least) whenever new events may have been appended, with the newest head
   * position known. Pull-based readers (projection runners) use it to wake without a slow poll.
   */
  watchHead(): Observable<bigint>;
  /** 'postgres' | 'esdb' */
  readonly kind: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}
