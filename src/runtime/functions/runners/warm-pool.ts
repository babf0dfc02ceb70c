/**
 * A pool of pre-started harness workers: keeps `min` idle ones ready (refilled in the background), never
 * more than `max` in all, recycles a worker after `maxRuns` runs or whenever the runner says it is
 * tainted, and makes an acquirer wait at most `acquireTimeoutMs` for one.
 */
import type { HarnessWorker } from './harness-channel.js';

export interface PoolOptions {
  /** idle workers kept ready */
  readonly min: number;
  /** workers in all (idle + busy + starting) */
  readonly max: number;
  /** a worker is replaced after this many runs */
  readonly maxRuns: number;
  readonly acquireTimeoutMs: number;
}

export interface PoolStats {
  readonly size: number;
  readonly idle: number;
  readonly busy: number;
  readonly starting: number;
  readonly hits: number;
  readonly misses: number;
  readonly recycled: number;
  readonly startFailures: number;
  readonly lastStartError: string | null;
}

export class PoolExhaustedError extends Error {
  readonly code = 'FUNCTION_POOL_EXHAUSTED';
}

interface Waiter {
  resolve(w: HarnessWorker): void;
  reject(err: Error): void;
}

const RETRY_AFTER_FAILURE_MS = 1000;

export class WarmPool<W extends HarnessWorker> {
  private readonly idle: W[] = [];
  private readonly busy = new Set<W>();
  private readonly waiters: Waiter[] = [];
  private starting = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private counts = { hits: 0, misses: 0, recycled: 0, startFailures: 0 };
  private lastStartError: string | null = null;

  constructor(
    private readonly start: () => Promise<W>,
    private readonly opts: PoolOptions,
  ) {}

  /** Begins filling the pool to `min` in the background. */
  warm(): void {
    this.fill();
  }

  /** An idle worker (a hit) or, after a start or a release, the next free one (a miss). */
  async acquire(signal?: AbortSignal): Promise<{ worker: W; hit: boolean }> {
    if (this.closed) throw new Error('the function pool is closed');
    const ready = this.idle.pop();
    if (ready) {
      this.counts.hits++;
      this.busy.add(ready);
      this.fill();
      return { worker: ready, hit: true };
    }
    this.counts.misses++;
    const worker = await this.wait(signal);
    return { worker, hit: false };
  }

  /** Hands a worker back; `reusable: false` (or its run budget spent) replaces it. */
  release(worker: W, reusable: boolean): void {
    this.busy.delete(worker);
    if (reusable && worker.alive && worker.runs < this.opts.maxRuns && !this.closed) this.deliver(worker);
    else this.retire(worker);
  }

  stats(): PoolStats {
    return {
      size: this.idle.length + this.busy.size + this.starting,
      idle: this.idle.length,
      busy: this.busy.size,
      starting: this.starting,
      ...this.counts,
      lastStartError: this.lastStartError,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of this.waiters.splice(0)) w.reject(new Error('the function pool is closed'));
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(all.map((w) => w.kill().catch(() => {})));
    // workers still starting are killed as they arrive (deliver → retire)
  }

  private wait(signal?: AbortSignal): Promise<W> {
    return new Promise<W>((resolve, reject) => {
      const onAbort = () => settle(() => reject(signal?.reason ?? new Error('aborted')));
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new PoolExhaustedError(
                `no function worker became free within ${this.opts.acquireTimeoutMs} ms ` +
                  `(pool max ${this.opts.max}, ${this.busy.size} busy, ${this.starting} starting` +
                  `${this.lastStartError ? `; last start error: ${this.lastStartError}` : ''})`,
              ),
            ),
          ),
        this.opts.acquireTimeoutMs,
      );
      const waiter: Waiter = {
        resolve: (w) => settle(() => resolve(w as W)),
        reject: (err) => settle(() => reject(err)),
      };
      const settle = (f: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        f();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.fill();
    });
  }

  /** A ready worker goes to the oldest waiter, else to the idle list. */
  private deliver(worker: W): void {
    if (this.closed || !worker.alive) return this.retire(worker);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.busy.add(worker);
      waiter.resolve(worker);
    } else {
      this.idle.push(worker);
    }
  }

  private retire(worker: W): void {
    this.counts.recycled++;
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    worker.onGone = null;
    void worker.kill().catch(() => {});
    this.fill();
  }

  /** Starts workers until `min` are idle or starting (plus one per waiter), within `max`. */
  private fill(): void {
    if (this.closed || this.retryTimer) return;
    const wanted = this.opts.min + this.waiters.length - this.idle.length - this.starting;
    const room = this.opts.max - this.idle.length - this.busy.size - this.starting;
    for (let i = 0; i < Math.min(wanted, room); i++) this.startOne();
  }

  private startOne(): void {
    this.starting++;
    this.start().then(
      (worker) => {
        this.starting--;
        worker.onGone = () => this.onWorkerGone(worker);
        this.deliver(worker);
        this.fill();
      },
      (err: unknown) => {
        this.starting--;
        this.counts.startFailures++;
        this.lastStartError = err instanceof Error ? err.message : String(err);
        // a waiter gets the platform fault rather than a timeout; refill again after a pause
        this.waiters.shift()?.reject(new Error(`could not start a function worker: ${this.lastStartError}`));
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.fill();
        }, RETRY_AFTER_FAILURE_MS);
        this.retryTimer.unref();
      },
    );
  }

  private onWorkerGone(worker: W): void {
    const i = this.idle.indexOf(worker);
    if (i < 0) return; // busy workers are handled by the runner that holds them
    this.idle.splice(i, 1);
    this.counts.recycled++;
    this.fill();
  }
}
