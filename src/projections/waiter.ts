/**
 * Read-your-writes: resolves once the named projections' checkpoints reach a position, or when a
 * bounded wait runs out (returning false). Works across processes via LISTEN on the checkpoint channel.
 */
import type pg from 'pg';
import { PgListener } from '../events/postgres/pg-listener.js';
import { listCheckpoints } from './checkpoints.js';
import { PROJECTION_CHANNEL } from './projection.js';
import { Backoff } from '../retry-loop.js';

interface Waiting {
  readonly name: string;
  readonly position: bigint;
  resolve(): void;
}

export class ProjectionWaiter {
  private readonly reached = new Map<string, bigint>();
  private waiting = new Set<Waiting>();
  private readonly listener: PgListener;
  private started: Promise<void> | undefined;
  /** every checkpoint was read since the listener last (re)connected */
  private synced = false;
  private readonly halt = new AbortController();

  constructor(
    private readonly pool: pg.Pool,
    connectionString: string,
  ) {
    this.listener = new PgListener(
      connectionString,
      PROJECTION_CHANNEL,
      () => void this.resyncAfterReconnect(),
    );
    this.listener.messages.subscribe((payload) => {
      const i = payload.lastIndexOf(':');
      if (i > 0) this.bump(payload.slice(0, i), BigInt(payload.slice(i + 1)));
    });
  }

  /** true when every projection reached `position` within `timeoutMs` */
  async waitFor(names: readonly string[], position: bigint | undefined, timeoutMs = 5000): Promise<boolean> {
    if (position === undefined || names.length === 0) return true;
    this.started ??= this.listener.start();
    await this.started;
    // once synced, every checkpoint that moves is heard (NOTIFY at its commit): no query per wait
    if (!this.synced && !names.every((n) => (this.reached.get(n) ?? -1n) >= position)) await this.resync();
    const pending = names.filter((n) => (this.reached.get(n) ?? -1n) < position);
    if (pending.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const entries: Waiting[] = [];
    const all = Promise.all(
      pending.map((name) => new Promise<void>((resolve) => entries.push({ name, position, resolve }))),
    ).then(() => true);
    for (const e of entries) this.waiting.add(e);
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const ok = await Promise.race([all, timeout]);
    clearTimeout(timer);
    for (const e of entries) this.waiting.delete(e);
    return ok;
  }

  /** Starts listening without waiting for anything (what reachedOf reports then stays current). */
  watch(): void {
    // a failed start is retried by the next wait, which awaits the same promise and reports it
    this.started ??= this.listener.start().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    });
    this.started.catch(() => {}); // a caller that only watches has nothing to do with the failure
  }

  /** The latest position seen for a projection (undefined before the first wait started listening). */
  reachedOf(name: string): bigint | undefined {
    return this.reached.get(name);
  }

  /**
   * Notifications sent while the connection was down are lost: reads the checkpoints again, retrying
   * (quietly: the database is coming back, and every caller's own query reports an outage) until it
   * works or the waiter stops.
   */
  private async resyncAfterReconnect(): Promise<void> {
    this.synced = false;
    const backoff = new Backoff(undefined, { loop: 'projection waiter' });
    while (!this.halt.signal.aborted) {
      try {
        return await this.resync();
      } catch (err) {
        await backoff.failed(err, this.halt.signal);
      }
    }
  }

  /**
   * Reads every checkpoint (those that moved before listening began, or while the connection was
   * down, were not heard); from then on the notifications keep `reached` current.
   */
  private async resync(): Promise<void> {
    for (const [name, cp] of await listCheckpoints(this.pool)) this.bump(name, cp.position);
    this.synced = true;
  }

  private bump(name: string, position: bigint): void {
    if ((this.reached.get(name) ?? -1n) < position) this.reached.set(name, position);
    for (const w of this.waiting) {
      if (w.name === name && w.position <= position) {
        this.waiting.delete(w);
        w.resolve();
      }
    }
  }

  async stop(): Promise<void> {
    this.halt.abort();
    await this.listener.stop();
  }
}
