/**
 * How a file event is recorded: one event appended to the file's stream, then the `files` read
 * model waited for, so the caller's next read sees it (read-your-writes). The file service and a
 * deleted collection's purge both record through here.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore, ExpectedRevision } from '../../events/event-store.js';
import { fileStream, type FileEvent } from '../../events/file-events.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';

export interface FileRecorder {
  readonly store: EventStore;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
}

export async function recordFileEvent(
  r: FileRecorder,
  fileId: string,
  e: FileEvent,
  expected: ExpectedRevision,
  actor: string,
): Promise<void> {
  const id = randomUUID();
  const appended = await r.store.append(
    fileStream(fileId),
    [{ id, type: e.type, data: e.data, metadata: { correlationId: id, causationId: id, actor, version: 1 } }],
    expected,
  );
  await r.waiter.waitFor(['files'], appended.position, r.consistencyTimeoutMs);
}
