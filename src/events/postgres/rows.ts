/** Mapping between es_events rows and RecordedEvent. */
import type { EventMetadata, RecordedEvent } from '../event-store.js';
import { rememberStoredJson } from '../stored-json.js';

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

/** The columns for toLazyRecorded: data and metadata as JSON text, parsed when first read. */
export const EVENT_TEXT_COLUMNS =
  'position, stream_name, revision, event_id, event_type, data::text AS data, metadata::text AS metadata, created_at';

export interface EventTextRow extends Omit<EventRow, 'data' | 'metadata'> {
  data: string;
  metadata: string;
}

/**
 * Like toRecorded, but data and metadata are parsed only if someone reads them (a replay to an SSE
 * client mostly writes the stored JSON text as it is; see storedJson).
 */
export function toLazyRecorded(row: EventTextRow): RecordedEvent {
  let data: Record<string, unknown> | undefined;
  let metadata: EventMetadata | undefined;
  const e: RecordedEvent = {
    id: row.event_id,
    type: row.event_type,
    get data() {
      return (data ??= JSON.parse(row.data) as Record<string, unknown>);
    },
    get metadata() {
      return (metadata ??= JSON.parse(row.metadata) as EventMetadata);
    },
    streamName: row.stream_name,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    createdAt: row.created_at,
  };
  rememberStoredJson(e, row.data);
  return e;
}
