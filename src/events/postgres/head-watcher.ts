/**
 * Wakes readers when events are appended: LISTEN on the head channel (every append batch NOTIFYs
 * its last position at commit), plus a slow safety poll that also covers a dropped connection.
 */
import pg from 'pg';
import { BehaviorSubject, type Observable, filter } from 'rxjs';
import { HEAD_CHANNEL } from './append-batcher.js';

const SAFETY_POLL_MS = 1000;
const RECONNECT_MS = 500;

export class HeadWatcher {
  private readonly head$ = new BehaviorSubject<bigint>(-1n);
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    private readonly pool: pg.Pool,
  ) {}

  /** Emits the newest known head position (first emission: the head when watching began). */
  watch(): Observable<bigint> {
    void this.ensureStarted();
    return this.head$.pipe(filter((p) => p >= 0n));
  }

  ensureStarted(): Promise<void> {
    this.started ??= this.start();
    return this.started;
  }

  private async start(): Promise<void> {
    await this.listen();
    await this.poll();
    this.timer = setInterval(() => void this.poll(), SAFETY_POLL_MS);
    this.timer.unref();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (msg) => {
      if (msg.channel === HEAD_CHANNEL && msg.payload) this.bump(BigInt(msg.payload));
    });
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${HEAD_CHANNEL}`);
      this.client = client;
    } catch {
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => {});
    void client.end().catch(() => {});
    if (this.stopped) return;
    setTimeout(() => void this.listen().then(() => this.poll()), RECONNECT_MS).unref();
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
    if (position > this.head$.value) this.head$.next(position);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.head$.complete();
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => {});
      await c.end().catch(() => {});
    }
  }
}
