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

export class TailReader {
  private readonly events$ = new Subject<RecordedEvent>();
  private last = -1n;
  private reading = false;
  private dirty = false;
  private watching: Subscription | undefined;
  private following = false;
  private stopped = false;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly head: HeadWatcher,
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
      this.watching = this.head.watch().subscribe((p) => {
        if (p > this.last) void this.read();
      });
      this.following = true;
    })();
    return this.ready;
  }

  get events(): Observable<RecordedEvent> {
    return this.events$;
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
    this.last = batch.at(-1)!.position; // a read started by a subscriber begins after the batch
    for (const e of batch) this.events$.next(e);
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
            const e = toRecorded(row);
            this.last = e.position;
            this.events$.next(e);
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
