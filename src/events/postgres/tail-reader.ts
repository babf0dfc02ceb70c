/**
 * One reader per store that follows the head of `$all` and multicasts every new event to live
 * subscribers, so N subscriptions cost one query per wake, not N. Events this process appends are
 * handed over directly when they are the very next positions (appends hold consecutive positions,
 * handed out under the head lock), so local readers don't wait for the NOTIFY and a query.
 */
import type pg from 'pg';
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { RecordedEvent } from '../event-store.js';
import type { HeadWatcher } from './head-watcher.js';
import { EVENT_COLUMNS, toRecorded, type EventRow } from './rows.js';

const PAGE = 1000;
/**
 * How many of the latest events the reader keeps, so a subscription starting among them catches
 * up from memory instead of a query (a turn's watchers, an SSE stream opened by a POST). Small: it
 * serves what was just appended, not replays.
 */
export const RECENT_EVENTS = 256;

export class TailReader {
  private readonly events$ = new Subject<RecordedEvent>();
  private last = -1n;
  private reading = false;
  private dirty = false;
  private watching: Subscription | undefined;
  private following = false;
  private stopped = false;
  private ready: Promise<void> | undefined;
  /** the latest events delivered, oldest first: every event after `recentBefore` up to `last` */
  private recentEvents: RecordedEvent[] = [];
  private recentBefore = -1n;

  constructor(
    private readonly pool: pg.Pool,
    private readonly head: HeadWatcher,
    /** settles when this process's appends now committing have been handed over (appended) */
    private readonly localInFlight: () => Promise<void> | undefined = () => undefined,
  ) {}

  /**
   * Resolves once the reader knows its start position; every event appended after that point
   * reaches `events` (in position order).
   */
  start(): Promise<void> {
    this.ready ??= (async () => {
      await this.head.ensureStarted();
      const { rows } = await this.pool.query<{ position: string }>('SELECT position FROM es_head WHERE id');
      this.last = BigInt(rows[0]!.position);
      this.recentBefore = this.last;
      // a stream deleted by any process is forgotten; after a lost connection, everything is
      this.watching = this.head.deletions.subscribe((stream) => this.forget(stream));
      this.watching.add(this.head.reconnected.subscribe(() => this.forgetAll()));
      this.watching.add(
        this.head.watch().subscribe((p) => {
          if (p <= this.last) return;
          // the head may have moved by this process's own batch, whose hand-over is on its way
          const local = this.localInFlight();
          if (!local) return void this.read();
          void local.then(() => {
            if (p > this.last) void this.read();
          });
        }),
      );
      this.following = true;
    })();
    // a start that failed (the database unreachable) is tried again by the next caller
    const ready = this.ready;
    ready.catch(() => {
      if (this.ready === ready) this.ready = undefined;
    });
    return ready;
  }

  get events(): Observable<RecordedEvent> {
    return this.events$;
  }

  /** The recent events after `after` that match; undefined when the memory does not reach back to it. */
  recentAfter(after: bigint, matches: (e: RecordedEvent) => boolean): RecordedEvent[] | undefined {
    if (!this.following || this.stopped || after < this.recentBefore) return undefined;
    return this.recentEvents.filter((e) => e.position > after && matches(e));
  }

  /**
   * A stream's events after `after.revision` among the recent ones; undefined unless they surely
   * hold them all: the one right after it (or an earlier one) is among them, or the caller knew the
   * stream completely up to `after.position` and the memory reaches back to there.
   */
  recentOf(stream: string, after: { revision: bigint; position?: bigint }): RecordedEvent[] | undefined {
    if (!this.following || this.stopped) return undefined;
    const mine = this.recentEvents.filter((e) => e.streamName === stream);
    // revisions that start over: the stream was deleted and begun afresh, its deletion not yet heard
    if (mine.some((e, i) => i > 0 && e.revision <= mine[i - 1]!.revision)) return undefined;
    const known = after.position !== undefined && after.position >= this.recentBefore;
    if (!known && (mine.length === 0 || mine[0]!.revision > after.revision + 1n)) return undefined;
    return mine.filter((e) => e.revision > after.revision);
  }

  /** Every event up to this position has been delivered (undefined before the reader follows). */
  get position(): bigint | undefined {
    return this.following && !this.stopped ? this.last : undefined;
  }

  /**
   * Forgets a deleted stream's events, so no subscription starting here replays them (told by the
   * deleting process at once, and by every other one when the deletion's notification arrives).
   */
  forget(stream: string): void {
    this.recentEvents = this.recentEvents.filter((e) => e.streamName !== stream);
  }

  /** Forgets a truncated stream's events before `revision`. */
  forgetBefore(stream: string, revision: bigint): void {
    this.recentEvents = this.recentEvents.filter((e) => e.streamName !== stream || e.revision >= revision);
  }

  /** Forgets every recent event: a deletion may have gone unheard. */
  private forgetAll(): void {
    this.recentEvents = [];
    this.recentBefore = this.last;
  }

  private deliver(e: RecordedEvent): void {
    this.last = e.position;
    this.recentEvents.push(e);
    if (this.recentEvents.length >= 2 * RECENT_EVENTS) {
      const dropped = this.recentEvents.splice(0, this.recentEvents.length - RECENT_EVENTS);
      this.recentBefore = dropped.at(-1)!.position;
    }
    this.events$.next(e);
  }

  /**
   * A batch this process committed: the position before its first event, and its events. Taken
   * only when nothing lies between the last event delivered and them; otherwise the NOTIFY's read
   * brings them, as for any other writer. A read in flight skips what was handed over meanwhile.
   */
  appended(before: bigint, events: () => readonly RecordedEvent[]): void {
    if (!this.following || this.stopped || before !== this.last) return;
    const batch = events();
    if (batch.length === 0) return;
    for (const e of batch) this.deliver(e); // a read started by a subscriber begins after the batch
  }

  private async read(): Promise<void> {
    if (this.reading) {
      this.dirty = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.dirty = false;
        for (;;) {
          const { rows } = await this.pool.query<EventRow>(
            `SELECT ${EVENT_COLUMNS} FROM es_events WHERE position > $1 ORDER BY position LIMIT ${PAGE}`,
            [String(this.last)],
          );
          for (const row of rows) {
            if (BigInt(row.position) <= this.last) continue; // appended() handed it over meanwhile
            this.deliver(toRecorded(row));
          }
          if (rows.length < PAGE) break;
        }
      } while (this.dirty);
    } catch {
      this.dirty = false;
      setTimeout(() => void this.read(), 500).unref(); // the database is back soon, or the store is closing
    } finally {
      this.reading = false;
    }
  }

  stop(): void {
    this.reading = true; // no further reads
    this.stopped = true;
    this.watching?.unsubscribe();
    this.events$.complete();
  }
}
