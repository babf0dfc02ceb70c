/** Our events to the client's EventData (JSON data + JSON metadata), and recorded events back. */
import { jsonEvent, type EventData, type Position } from '@eventstore/db-client';
import { IllegalStateError } from '../../errors.js';
import type { EventMetadata, NewEvent, RecordedEvent } from '../event-store.js';
import { positionOf } from './positions.js';

export function toEventData(event: NewEvent): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: { ...event.data },
    metadata: { ...event.metadata },
  });
}

/** The fields of the client's RecordedEvent that we read (its JSON and binary variants both fit). */
export interface ClientRecordedEvent {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly created: Date;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: Position;
}

/** The fields of the client's ResolvedEvent / AllStreamResolvedEvent that we read. */
export interface ClientResolvedEvent {
  readonly event?: ClientRecordedEvent;
  readonly commitPosition?: bigint;
}

/** System events (`$`-prefixed type, e.g. `$metadata`, `$>` links) and system streams (`$`-prefixed). */
export function isSystemEvent(streamName: string, type: string): boolean {
  return streamName.startsWith('$') || type.startsWith('$');
}

export function isSystemResolved(resolved: ClientResolvedEvent): boolean {
  return resolved.event !== undefined && isSystemEvent(resolved.event.streamId, resolved.event.type);
}

export function toRecordedEvent(resolved: ClientResolvedEvent): RecordedEvent {
  const e = resolved.event;
  if (!e) throw new IllegalStateError('EventStoreDB returned a resolved event without an event');
  return {
    id: e.id,
    type: e.type,
    data: asJsonObject(e.data),
    metadata: asJsonObject(e.metadata) as EventMetadata,
    streamName: e.streamId,
    revision: e.revision,
    position: positionOf(resolved),
    createdAt: e.created,
  };
}

/**
 * We only write JSON objects, and the client has already parsed JSON content. Anything else
 * (absent metadata, binary or non-object JSON written by another program) is kept, never dropped:
 * undefined becomes {}, bytes are parsed as JSON when they are JSON, and a non-object lands under `value`.
 */
export function asJsonObject(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (value instanceof Uint8Array) return asJsonObject(parseOrKeep(Buffer.from(value).toString('utf8')));
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { value };
}

function parseOrKeep(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
