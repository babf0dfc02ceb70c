/**
 * Wakes readers when events are appended: LISTEN on the head channel (every append batch NOTIFYs
 * its last position at commit), plus a slow safety poll that also covers a dropped connection.
 * The same connection hears which streams were deleted (DELETED_CHANNEL), so every process's memory
 * of recent events forgets them.
 */
import type pg from 'pg';
import { BehaviorSubject, Subject, type Observable, filter } from 'rxjs';
import { HEAD_CHANNEL } from './append-batcher.js';
import { PgListener } from './pg-listener.js';

/** deleteStream NOTIFYs the stream's name here at commit */
export const DELETED_CHANNEL = 'sinas_es_deleted';

const SAFETY_POLL_MS = 1000;

export class HeadWatcher {
  private readonly head$ = new BehaviorSubject<bigint>(-1n);
  private readonly reconnected$ = new Subject<void>();
  private readonly listener: PgListener;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private stopped = false;

  constructor(
    connectionString: string,
    private readonly pool: pg.Pool,
  ) {
    this.listener = new PgListener(connectionString, [HEAD_CHANNEL, DELETED_CHANNEL], () => {
      this.reconnected$.next();
      void this.poll();
    });
    this.listener.messagesOf(HEAD_CHANNEL).subscribe((payload) => payload && this.bump(BigInt(payload)));
  }

  /** Emits the newest known head position (first emission: the head when watching began). */
  watch(): Observable<bigint> {
    void this.ensureStarted();
    return this.head$.pipe(filter((p) => p >= 0n));
  }

  /** Names of streams deleted (by any process) since listening began. */
  get deletions(): Observable<string> {
    return this.listener.messagesOf(DELETED_CHANNEL);
  }

  /** Emits after the connection was lost and made again: notifications in between are lost. */
  get reconnected(): Observable<void> {
    return this.reconnected$;
  }

  ensureStarted(): Promise<void> {
    this.started ??= (async () => {
      await this.listener.start();
      await this.poll();
      this.timer = setInterval(() => void this.poll(), SAFETY_POLL_MS);
      this.timer.unref();
    })();
    return this.started;
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      const { rows } = await this.pool.query<{ position: string }>('SELECT position FROM es_head WHERE id');
      if (rows[0]) this.bump(BigInt(rows[0].position));
    } catch {
      // the next poll or notification tries again
    }
  }

  private bump(position: bigint): void {
    if (!this.stopped && position > this.head$.value) this.head$.next(position);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.head$.complete();
    this.reconnected$.complete();
    await this.listener.stop();
  }
}
