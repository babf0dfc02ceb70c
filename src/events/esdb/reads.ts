/** Stream reads and the ping, against one client. */
import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import type { ReadStreamOptions, RecordedEvent } from '../event-store.js';
import { isMissingStream, mapCommonError } from './error-mapping.js';
import { isSystemResolved, toRecordedEvent } from './event-mapping.js';
import { toClientReadStreamOptions } from './read-options.js';

/** [] when the stream does not exist or is deleted. */
export async function readStreamEvents(
  client: EventStoreDBClient,
  stream: string,
  options?: ReadStreamOptions,
): Promise<RecordedEvent[]> {
  const clientOptions = toClientReadStreamOptions(options);
  if (clientOptions.maxCount === 0) return [];
  const events: RecordedEvent[] = [];
  try {
    for await (const resolved of client.readStream(stream, clientOptions)) {
      if (!isSystemResolved(resolved)) events.push(toRecordedEvent(resolved));
    }
  } catch (err) {
    if (isMissingStream(err)) return [];
    throw mapCommonError(err);
  }
  return events;
}

export async function readStreamRevision(
  client: EventStoreDBClient,
  stream: string,
): Promise<bigint | undefined> {
  const [last] = await readStreamEvents(client, stream, { direction: 'backwards', maxCount: 1 });
  return last?.revision;
}

/** One small `$all` read with a deadline: proves the server answers and lets us read. */
export async function pingServer(client: EventStoreDBClient, deadlineMs = 5_000): Promise<void> {
  try {
    const read = client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
      deadline: deadlineMs,
    });
    for await (const _ of read) {
      // reading the one event is the whole point
    }
  } catch (err) {
    throw mapCommonError(err);
  }
}
