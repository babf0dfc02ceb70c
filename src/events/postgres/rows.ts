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
