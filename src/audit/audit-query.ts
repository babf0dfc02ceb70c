/**
 * Reads events for the audit log and exports: by stream, or over `$all` (by category and type in
 * the store, then actor, correlation id and time here), in commit order, a bounded scan per call.
 */
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { categoryOf } from '../events/stream-names.js';

export interface AuditFilter {
  readonly stream?: string;
  readonly category?: string;
  readonly type?: string;
  readonly actor?: string;
  readonly correlationId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

const PAGE = 1000;

export function matches(e: RecordedEvent, f: AuditFilter): boolean {
  if (f.stream !== undefined && e.streamName !== f.stream) return false;
  if (f.category !== undefined && categoryOf(e.streamName) !== f.category) return false;
  if (f.type !== undefined && e.type !== f.type) return false;
  if (f.actor !== undefined && e.metadata.actor !== f.actor) return false;
  if (f.correlationId !== undefined && e.metadata.correlationId !== f.correlationId) return false;
  if (f.from !== undefined && e.createdAt < f.from) return false;
  if (f.to !== undefined && e.createdAt > f.to) return false;
  return true;
}

/**
 * Matching events after position `after`, up to `limit`, scanning at most `scan` events; `next` is
 * where to continue (undefined when the end of the log was reached).
 */
export async function auditPage(
  store: EventStore,
  f: AuditFilter,
  after: bigint,
  limit: number,
  scan = 50_000,
): Promise<{ events: RecordedEvent[]; next: bigint | undefined }> {
  const out: RecordedEvent[] = [];
  if (f.stream !== undefined) {
    const events = (await store.readStream(f.stream)).filter((e) => e.position > after && matches(e, f));
    const page = events.slice(0, limit);
    return {
      events: page,
      next: page.length === limit && events.length > limit ? page.at(-1)!.position : undefined,
    };
  }
  let cursor = after;
  let scanned = 0;
  for (;;) {
    const batch = await store.readAll({
      after: cursor,
      maxCount: PAGE,
      ...(f.category || f.type
        ? {
            filter: {
              ...(f.category ? { categories: [f.category] } : {}),
              ...(f.type ? { eventTypes: [f.type] } : {}),
            },
          }
        : {}),
    });
    for (const e of batch) {
      cursor = e.position;
      if (matches(e, f)) out.push(e);
      if (out.length === limit) return { events: out, next: cursor };
    }
    scanned += batch.length;
    if (batch.length < PAGE) return { events: out, next: undefined };
    if (scanned >= scan) return { events: out, next: cursor };
  }
}

/** Every matching event, in commit order, page by page (for exports). */
export async function* auditAll(store: EventStore, f: AuditFilter): AsyncGenerator<RecordedEvent> {
  if (f.stream !== undefined) {
    // one stream: page through it by revision
    for (let from = 0n; ;) {
      const page = await store.readStream(f.stream, { fromRevision: from, maxCount: PAGE });
      yield* page.filter((e) => matches(e, f));
      if (page.length < PAGE) return;
      from = page.at(-1)!.revision + 1n;
    }
  }
  let after = 0n;
  for (;;) {
    const { events, next } = await auditPage(store, f, after, PAGE, Number.MAX_SAFE_INTEGER);
    yield* events;
    if (next === undefined) return;
    after = next;
  }
}
