/** Mapping between es_events rows and RecordedEvent. */
import pg from 'pg';
import type { EventMetadata, RecordedEvent, ReplayedEvent } from '../event-store.js';

export const EVENT_COLUMNS =
  'position, stream_name, revision, event_id, event_type, data, metadata, created_at';

export interface EventRow {
  position: string;
  stream_name: string;
  revision: string;
  event_id: string;
  event_type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  created_at: Date;
}

export function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    data: row.data,
    metadata: row.metadata,
    streamName: row.stream_name,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    createdAt: row.created_at,
  };
}

/**
 * The columns of a stream page for toLazyRecorded, read with rowMode 'array' (no object per row)
 * and PAGE_TYPES: data and metadata as JSON text, parsed when first read, and the time as text,
 * parsed when first read too. The stream's name is known to the reader.
 */
export const STREAM_PAGE_COLUMNS =
  'position, revision, event_id, event_type, data::text, metadata::text, created_at';

/** A row of STREAM_PAGE_COLUMNS, in order. */
export type StreamPageRow = [
  position: string,
  revision: string,
  eventId: string,
  eventType: string,
  data: string,
  metadata: string,
  createdAt: string,
  ...rest: unknown[],
];

const TIMESTAMPTZ = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ) as (text: string) => Date;

/** The query's type parsers for STREAM_PAGE_COLUMNS: timestamps stay text (parsed when read). */
export const PAGE_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ
      ? (text: string) => text
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Like toRecorded, but data, metadata and createdAt are parsed only if someone reads them (a replay
 * to an SSE client mostly writes the stored JSON text as it is; see storedJson). They are accessors
 * on the prototype (a class is far cheaper to build per row than an object with own accessors), so
 * a copy must name them: `{ ...e, data, metadata, createdAt }`, as upcast does.
 */
export function toLazyRecorded(stream: string, row: StreamPageRow): RecordedEvent {
  return new LazyRecordedEvent(stream, row);
}

class LazyRecordedEvent implements RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly position: bigint;
  #data: Record<string, unknown> | undefined;
  #metadata: EventMetadata | undefined;
  #createdAt: Date | undefined;

  constructor(
    readonly streamName: string,
    private readonly row: StreamPageRow,
  ) {
    this.id = row[2];
    this.type = row[3];
    this.revision = BigInt(row[1]);
    this.position = BigInt(row[0]);
  }

  get createdAt(): Date {
    return (this.#createdAt ??= parseTimestamptz(this.row[6]));
  }

  get data(): Record<string, unknown> {
    return (this.#data ??= JSON.parse(this.row[4]) as Record<string, unknown>);
  }

  get metadata(): EventMetadata {
    return (this.#metadata ??= JSON.parse(this.row[5]) as EventMetadata);
  }

  /** the data as the store returned it (storedJson) */
  get storedData(): string {
    return this.row[4];
  }
}

/**
 * The columns of a replay page (rowMode 'array'): what a replay sends, nothing more (the data as
 * text: Postgres renders it so anyway), then the data fields asked for (a field costs Postgres far
 * less than parsing the data costs us).
 */
export function replayColumns(fields: readonly string[], first: number): string {
  return ['revision, event_type, data::text', ...fields.map((_, i) => `data->>$${first + i}`)].join(', ');
}

/** A row of replayColumns, in order. */
export type ReplayRow = [revision: string, eventType: string, data: string, ...rest: unknown[]];

export function toReplayed(row: ReplayRow, fields: readonly string[]): ReplayedEvent {
  return new Replayed(row, fields);
}

const NO_FIELDS: Readonly<Record<string, string | null>> = Object.freeze({});

class Replayed implements ReplayedEvent {
  readonly type: string;
  readonly revision: bigint;
  readonly storedData: string;
  readonly fields: Readonly<Record<string, string | null>>;
  #data: Record<string, unknown> | undefined;

  constructor(row: ReplayRow, names: readonly string[]) {
    this.revision = BigInt(row[0]);
    this.type = row[1];
    this.storedData = row[2];
    if (names.length === 0) this.fields = NO_FIELDS;
    else {
      const fields: Record<string, string | null> = {};
      names.forEach((name, i) => (fields[name] = row[3 + i] as string | null));
      this.fields = fields;
    }
  }

  get data(): Record<string, unknown> {
    return (this.#data ??= JSON.parse(this.storedData) as Record<string, unknown>);
  }
}
