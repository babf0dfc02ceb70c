/**
 * One reader per store that follows the head of `$all` and multicasts every new event to live
 * subscribers, so N subscriptions cost one query per wake, not N.
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
    })();
    return this.ready;
  }

  get events(): Observable<RecordedEvent> {
    return this.events$;
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
    this.watching?.unsubscribe();
    this.events$.complete();
  }
}
