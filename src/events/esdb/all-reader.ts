/**
 * Reads of `$all`. This client's readAll takes no server-side filter, so `$all` is read in pages
 * and filtered here (see all-filter.ts), deleted events are hidden (truncation.ts), and ranges
 * already scanned without a match are skipped next time (scan-memo.ts).
 * Reads from a position are inclusive in ESDB: each page repeats the event it starts at, which
 * the position comparison drops.
 */
import {
  BACKWARDS,
  END,
  FORWARDS,
  type EventStoreDBClient,
  type ReadAllOptions as ClientReadAllOptions,
} from '@eventstore/db-client';
import type { ReadAllOptions, RecordedEvent } from '../event-store.js';
import { planFilter, type FilterPlan } from './all-filter.js';
import { mapCommonError } from './error-mapping.js';
import { isSystemResolved, toRecordedEvent, type ClientResolvedEvent } from './event-mapping.js';
import { positionOf, readFrom, toClientPosition } from './positions.js';
import { BEFORE_START, EmptyRanges, filterKey } from './scan-memo.js';
import { VisibleEvents } from './truncation.js';

/** Events per request. */
const PAGE = 500;

export class AllReader {
  private readonly empty = new EmptyRanges();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly truncation: (stream: string) => Promise<bigint>,
  ) {}

  async read(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const plan = planFilter(options.filter);
    const visible = new VisibleEvents(this.truncation);
    const key = filterKey(options.filter);
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    const { start, emptySince } = this.empty.startAfter(key, options.after ?? BEFORE_START);
    const events: RecordedEvent[] = [];
    let cursor = start; // the last event looked at
    let lastMatch = emptySince;
    while (events.length < limit) {
      const pageSize = Math.min(PAGE, limit - events.length + 1);
      const page = await this.page({
        direction: FORWARDS,
        fromPosition: readFrom(cursor),
        maxCount: pageSize,
      });
      const candidates = page
        .filter((resolved) => positionOf(resolved) > cursor)
        .map((resolved) => ({ position: positionOf(resolved), event: matching(resolved, plan) }));
      await visible.preload(candidates.flatMap((c) => (c.event ? [c.event.streamName] : [])));
      for (const { position, event } of candidates) {
        if (events.length >= limit) break;
        cursor = position;
        if (event && (await visible.isVisible(event))) {
          events.push(event);
          lastMatch = position;
        }
      }
      if (page.length < pageSize) break;
    }
    this.empty.remember(key, lastMatch, cursor);
    return events;
  }

  /** The position of the last non-system event, or 0n. Reads backwards page by page. */
  async head(): Promise<bigint> {
    let from: ClientReadAllOptions['fromPosition'] = END;
    for (;;) {
      const page = await this.page({ direction: BACKWARDS, fromPosition: from, maxCount: 100 });
      const last = page.find((resolved) => !isSystemResolved(resolved));
      if (last) return positionOf(last);
      const oldest = page.at(-1);
      if (page.length < 100 || !oldest) return 0n;
      // a backwards read from an event's own position starts just before it
      from = toClientPosition(positionOf(oldest));
    }
  }

  private async page(options: ClientReadAllOptions): Promise<ClientResolvedEvent[]> {
    const page: ClientResolvedEvent[] = [];
    try {
      for await (const resolved of this.client.readAll(options)) page.push(resolved);
    } catch (err) {
      throw mapCommonError(err);
    }
    return page;
  }
}

function matching(resolved: ClientResolvedEvent, plan: FilterPlan): RecordedEvent | undefined {
  const e = resolved.event;
  return e && plan.matches(e.streamId, e.type) ? toRecordedEvent(resolved) : undefined;
}
