/**
 * A subscription: catch up by paging through stored events, then switch to the tail reader's live
 * feed with no gap and no duplicate. The live feed is joined (buffering) before the catch-up starts;
 * anything it delivers that the catch-up already covered is dropped by position. A subscription
 * that starts among the tail reader's recent events catches up from those, with no query. While the
 * database is unreachable it waits and tries again (an SSE stream stays open through an outage and
 * goes on from where it was); only another kind of failure ends it with an error.
 */
import { Observable } from 'rxjs';
import type { RecordedEvent } from '../event-store.js';
import type { TailReader } from './tail-reader.js';
import { isConnectionError } from '../../dependency-errors.js';
import { Backoff } from '../../retry-loop.js';

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
    const halt = new AbortController();
    const retrying = <T>(read: () => Promise<T>) => untilReachable(read, halt.signal);
    const readPage = (after: RecordedEvent | undefined, max: number) =>
      retrying(() => source.readPage(after, max));
    void (async () => {
      await retrying(() => tail.start());
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
      let next = readPage(cursor, max);
      for (;;) {
        const page = await next;
        const full = page.length >= max;
        if (full && !closed) {
          // the next page is read while this one is delivered
          max = source.pageSize;
          next = readPage(page.at(-1), max);
          next.catch(() => {}); // awaited below, unless the subscriber goes away first
        }
        for (const e of page) {
          if (closed) return;
          cursor = e;
          subscriber.next(e);
        }
        if (!full) break;
      }
      live = true;
      for (const e of buffer.splice(0)) deliver(e);
    })().catch((err) => subscriber.error(err));
    return () => {
      closed = true;
      halt.abort();
      liveSub?.unsubscribe();
    };
  });
}

/**
 * `read()`, tried again with backoff while it fails for want of the database; once `signal` aborts
 * (the subscriber left) a failing read's error is passed on, to no one.
 */
async function untilReachable<T>(read: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const backoff = new Backoff(undefined, { loop: 'subscription' });
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (signal.aborted || !isConnectionError(err)) throw err;
      await backoff.failed(err, signal);
    }
  }
}
