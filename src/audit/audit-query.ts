/**
 * Reads events for the audit log and exports: by stream, or over `$all` (by category and type in
 * the store, then actor, correlation id and time here), in commit order, a bounded scan per call,
 * each as the reader's view shows it (events hidden from the reader are skipped and do not count).
 */
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { categoryOf } from '../events/stream-names.js';
import { SEE_ALL, type Sight, type Viewer } from './visibility.js';

/** An event the reader may see, and how (whole or as a reference). */
export interface Seen {
  readonly event: RecordedEvent;
  readonly sight: Exclude<Sight, { kind: 'hidden' }>;
}

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

/** The matching events the reader may see, in order, up to `limit`; how many of `events` it took. */
async function visible(
  events: readonly RecordedEvent[],
  f: AuditFilter,
  view: Viewer,
  out: Seen[],
  limit: number,
): Promise<number> {
  let taken = 0;
  for (const event of events) {
    if (out.length === limit) break;
    taken++;
    if (!matches(event, f)) continue;
    const sight = await view(event);
    if (sight.kind !== 'hidden') out.push({ event, sight });
  }
  return taken;
}

/**
 * Matching events after position `after` that the reader may see, up to `limit`, scanning at most
 * `scan` events; `next` is where to continue (undefined when the end of the log was reached).
 */
export async function auditPage(
  store: EventStore,
  f: AuditFilter,
  after: bigint,
  limit: number,
  view: Viewer = SEE_ALL,
  scan = 50_000,
): Promise<{ events: Seen[]; next: bigint | undefined }> {
  const out: Seen[] = [];
  if (f.stream !== undefined) {
    const events = (await store.readStream(f.stream)).filter((e) => e.position > after);
    const taken = await visible(events, f, view, out, limit);
    const rest = events.slice(taken);
    const more = out.length === limit && rest.some((e) => matches(e, f));
    return { events: out, next: more ? out.at(-1)!.event.position : undefined };
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
    const taken = await visible(batch, f, view, out, limit);
    if (taken > 0) cursor = batch[taken - 1]!.position;
    if (out.length === limit) return { events: out, next: cursor };
    scanned += batch.length;
    if (batch.length < PAGE) return { events: out, next: undefined };
    if (scanned >= scan) return { events: out, next: cursor };
  }
}

/** Every matching event the reader may see, in commit order, page by page (for exports). */
export async function* auditAll(
  store: EventStore,
  f: AuditFilter,
  view: Viewer = SEE_ALL,
): AsyncGenerator<Seen> {
  if (f.stream !== undefined) {
    // one stream: page through it by revision
    for (let from = 0n; ;) {
      const page = await store.readStream(f.stream, { fromRevision: from, maxCount: PAGE });
      const out: Seen[] = [];
      await visible(page, f, view, out, Infinity);
      yield* out;
      if (page.length < PAGE) return;
      from = page.at(-1)!.revision + 1n;
    }
  }
  let after = 0n;
  for (;;) {
    const { events, next } = await auditPage(store, f, after, PAGE, view, Number.MAX_SAFE_INTEGER);
    yield* events;
    if (next === undefined) return;
    after = next;
  }
}

/** The audit log the audit routes read: a page of it, or all of it for an export, as the reader's view shows it. */
export class AuditLog {
  constructor(private readonly store: EventStore) {}

  page(f: AuditFilter, after: bigint, limit: number, view: Viewer): ReturnType<typeof auditPage> {
    return auditPage(this.store, f, after, limit, view);
  }

  all(f: AuditFilter, view: Viewer): AsyncGenerator<Seen> {
    return auditAll(this.store, f, view);
  }
}
