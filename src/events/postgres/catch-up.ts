/**
 * A subscription: catch up by paging through stored events, then switch to the tail reader's live
 * feed with no gap and no duplicate. The live feed is joined (buffering) before the catch-up starts;
 * anything it delivers that the catch-up already covered is dropped by position. A subscription
 * that starts among the tail reader's recent events catches up from those, with no query.
 */
import { Observable } from 'rxjs';
import type { RecordedEvent } from '../event-store.js';
import type { TailReader } from './tail-reader.js';

export interface CatchUpSource {
  /** up to `max` events strictly after `cursor` (undefined = from the start), in order */
  readPage(cursor: RecordedEvent | undefined, max: number): Promise<RecordedEvent[]>;
  /** whether a live event belongs to this subscription */
  matches(e: RecordedEvent): boolean;
  /** whether `e` comes after `cursor` */
  isAfter(e: RecordedEvent, cursor: RecordedEvent | undefined): boolean;
  readonly pageSize: number;
  /** a smaller first page, so the first events go out before the rest is read */
  readonly firstPageSize?: number;
  /**
   * The catch-up from the tail reader's recent events (asked right after joining its live feed,
   * in the same tick): the subscription's events among them, or undefined when they may not hold
   * all it needs.
   */
  fromRecent?(): RecordedEvent[] | undefined;
  /**
   * For a source whose events have dense keys (a stream's revisions: no gaps): reads pages ahead,
   * `parallel` at a time, each the `pageSize` events from a key on, while earlier ones are delivered;
   * the first of them with the first page (it comes back empty when the stream is short).
   */
  readonly dense?: {
    readonly parallel: number;
    readFrom(key: bigint, max: number): Promise<RecordedEvent[]>;
    /** the key of the event right after `cursor` (undefined: the start) */
    keyAfter(cursor: RecordedEvent | undefined): bigint;
    /** the last key as the first page was read (asked right after it): no page is read ahead beyond it */
    lastKey(): Promise<bigint | undefined>;
  };
}

export function catchUpThenLive(tail: TailReader, source: CatchUpSource): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber) => {
    let closed = false;
    let live = false;
    let cursor: RecordedEvent | undefined;
    const buffer: RecordedEvent[] = [];
    const deliver = (e: RecordedEvent) => {
      if (closed || !source.matches(e) || !source.isAfter(e, cursor)) return;
      cursor = e;
      subscriber.next(e);
    };
    let liveSub: { unsubscribe(): void } | undefined;
    void (async () => {
      await tail.start();
      if (closed) return;
      liveSub = tail.events.subscribe({
        next: (e) => (live ? deliver(e) : buffer.push(e)),
        complete: () => subscriber.complete(),
      });
      const cached = source.fromRecent?.(); // the same tick as the subscribe: no gap, no overlap
      if (cached) {
        for (const e of cached) {
          if (closed) return;
          cursor = e;
          subscriber.next(e);
        }
        live = true;
        for (const e of buffer.splice(0)) deliver(e);
        return;
      }
      let max = source.firstPageSize ?? source.pageSize;
      const first = source.readPage(cursor, max);
      const dense = source.dense;
      const lastKey = dense?.lastKey().catch(() => undefined);
      // pages read ahead (in order) while earlier ones are delivered; a short page ends the catch-up,
      // and what pages after it hold was appended since, so the live feed brings it
      const ahead: Promise<RecordedEvent[]>[] = [];
      const readAhead = (p: Promise<RecordedEvent[]>) => {
        p.catch(() => {}); // awaited below, unless the catch-up ends first
        ahead.push(p);
      };
      let nextKey = dense ? dense.keyAfter(cursor) + BigInt(max) : 0n;
      if (dense) {
        readAhead(dense.readFrom(nextKey, source.pageSize));
        nextKey += BigInt(source.pageSize);
      }
      let page = await first;
      for (;;) {
        const full = page.length >= max;
        if (full && !closed) {
          if (dense) {
            const last = (await lastKey) ?? nextKey;
            // past the last key, one page at a time: it comes back short (or with what was just appended)
            while (ahead.length < dense.parallel && (nextKey <= last || ahead.length === 0)) {
              readAhead(dense.readFrom(nextKey, source.pageSize));
              nextKey += BigInt(source.pageSize);
            }
          } else readAhead(source.readPage(page.at(-1), source.pageSize));
        }
        for (const e of page) {
          if (closed) return;
          cursor = e;
          subscriber.next(e);
        }
        if (!full) break;
        max = source.pageSize;
        page = await ahead.shift()!;
      }
      live = true;
      for (const e of buffer.splice(0)) deliver(e);
    })().catch((err) => subscriber.error(err));
    return () => {
      closed = true;
      liveSub?.unsubscribe();
    };
  });
}
