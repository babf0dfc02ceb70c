/** Mapping between es_events rows and RecordedEvent. */
import type { EventMetadata, RecordedEvent } from '../event-store.js';

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
 * The columns for toLazyRecorded: data and metadata as JSON text, parsed when first read, and the
 * time as epoch milliseconds (a number is far cheaper to turn into a Date than timestamp text).
 */
export const EVENT_TEXT_COLUMNS =
  'position, stream_name, revision, event_id, event_type, data::text AS data, metadata::text AS metadata, ' +
  'floor(extract(epoch from created_at) * 1000)::float8 AS created_ms';

export interface EventTextRow extends Omit<EventRow, 'data' | 'metadata' | 'created_at'> {
  data: string;
  metadata: string;
  created_ms: number;
}

/**
 * Like toRecorded, but data and metadata are parsed only if someone reads them (a replay to an SSE
 * client mostly writes the stored JSON text as it is; see storedJson). They are accessors on the
 * prototype (a class is far cheaper to build per row than an object with own accessors), so a copy
 * must name them: `{ ...e, data, metadata }`, as upcast does.
 */
export function toLazyRecorded(row: EventTextRow): RecordedEvent {
  return new LazyRecordedEvent(row);
}

class LazyRecordedEvent implements RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly streamName: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly createdAt: Date;
  #row: EventTextRow;
  #data: Record<string, unknown> | undefined;
  #metadata: EventMetadata | undefined;

  constructor(row: EventTextRow) {
    this.id = row.event_id;
    this.type = row.event_type;
    this.streamName = row.stream_name;
    this.revision = BigInt(row.revision);
    this.position = BigInt(row.position);
    this.createdAt = new Date(row.created_ms);
    this.#row = row;
  }

  get data(): Record<string, unknown> {
    return (this.#data ??= JSON.parse(this.#row.data) as Record<string, unknown>);
  }

  get metadata(): EventMetadata {
    return (this.#metadata ??= JSON.parse(this.#row.metadata) as EventMetadata);
  }

  /** the data as the store returned it (storedJson) */
  get storedData(): string {
    return this.#row.data;
  }
}
