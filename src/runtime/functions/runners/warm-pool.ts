/**
 * A pool of pre-started harness workers, keyed by whose code they run (RunRequest.isolationKey): keeps
 * `min` blank workers ready (refilled in the background), never more than `max` in all, hands a worker
 * only to the key it first served (IdleWorkers holds that rule), retires the least recently used idle
 * worker of another key when a run needs room, recycles a worker after `maxRuns` runs or whenever the
 * runner says it is tainted, and makes an acquirer wait at most `acquireTimeoutMs` for one.
 */
import type { HarnessWorker } from './harness-channel.js';
import { IdleWorkers } from './idle-workers.js';

export interface PoolOptions {
  /** blank (never used) workers kept ready for any key */
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
  /** idle workers never used, ready for any key */
  readonly blank: number;
  readonly busy: number;
  readonly starting: number;
  /** acquires that found a worker ready (a blank one or one of the same key) */
  readonly hits: number;
  /** acquires that had to wait for a worker to start or come free */
  readonly misses: number;
  /** workers retired (run budget spent, tainted, dead, or evicted) */
  readonly recycled: number;
  /** of those, idle workers of another key retired to make room */
  readonly evicted: number;
  readonly startFailures: number;
  readonly lastStartError: string | null;
}

/** One worker of the pool as the admin views show it (`GET /api/v1/containers/stats`). */
export interface PoolMember {
  readonly id: string;
  readonly containerId: string | null;
  readonly state: 'idle' | 'in_use';
  readonly runs: number;
  /** when it joined the pool (epoch ms) */
  readonly startedAt: number;
}

export interface PoolView {
  readonly min: number;
  readonly max: number;
  readonly maxRuns: number;
  readonly members: readonly PoolMember[];
}

/** What an administrator's resize did (`POST /api/v1/containers/scale`), in the original's fields. */
export interface PoolResize {
  /** workers before (idle, busy and starting) */
  readonly previous: number;
  /** workers after: the idle ones retired are gone, the ones added are starting */
  readonly current: number;
  readonly added: number;
  readonly removed: number;
}

/** What recycling the idle workers did (`POST /api/v1/containers/reload`). */
export interface PoolRecycle {
  /** idle workers retired, each replaced by a fresh start as the pool refills */
  readonly idle_containers: number;
}

export class PoolExhaustedError extends Error {
  readonly code = 'FUNCTION_POOL_EXHAUSTED';
}

interface Waiter<W> {
  readonly key: string;
  resolve(w: W): void;
  reject(err: Error): void;
}

const RETRY_AFTER_FAILURE_MS = 1000;

export class WarmPool<W extends HarnessWorker> {
  private readonly idle = new IdleWorkers<W>();
  /** busy workers and the key each is bound to */
  private readonly busy = new Map<W, string>();
  private readonly waiters: Waiter<W>[] = [];
  private starting = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private counts = { hits: 0, misses: 0, recycled: 0, evicted: 0, startFailures: 0 };
  private lastStartError: string | null = null;
  /** when each worker joined the pool */
  private readonly joined = new WeakMap<W, number>();
  /** blank workers kept ready: `opts.min` until an administrator resizes the pool */
  private min: number;

  constructor(
    private readonly start: () => Promise<W>,
    private readonly opts: PoolOptions,
  ) {
    this.min = opts.min;
  }

  /** Begins filling the pool to `min` blank workers in the background. */
  warm(): void {
    this.fill();
  }

  /**
   * A worker for `key`: an idle one of that key or a blank one (a hit), else the first that starts or
   * comes free for it (a miss). The worker belongs to `key` from then on.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<{ worker: W; hit: boolean }> {
    if (this.closed) throw new Error('the function pool is closed');
    const ready = this.idle.take(key);
    if (ready) {
      this.counts.hits++;
      this.busy.set(ready, key);
      this.fill();
      return { worker: ready, hit: true };
    }
    this.counts.misses++;
    const worker = await this.wait(key, signal);
    return { worker, hit: false };
  }

  /** Hands a worker back to its key; `reusable: false` (or its run budget spent) replaces it. */
  release(worker: W, reusable: boolean): void {
    const key = this.busy.get(worker);
    this.busy.delete(worker);
    const keep = reusable && worker.alive && worker.runs < this.opts.maxRuns && !this.closed;
    if (key !== undefined && keep) this.idle.addUsed(worker, key);
    else this.retire(worker);
    this.balance();
  }

  /**
   * An administrator's target size (capped at `max`): from now on `target` blank workers are kept
   * ready, and idle workers beyond it are retired at once (busy ones finish their run first, as in
   * the original, and ones already starting join: the pool may stay above the target until they
   * are used and age out).
   */
  resize(target: number): PoolResize {
    const previous = this.size();
    this.min = Math.min(Math.max(0, target), this.opts.max);
    let removed = 0;
    while (this.size() > this.min) {
      const w = this.idle.evictAny();
      if (!w) break;
      this.retire(w);
      removed++;
    }
    const before = this.size();
    this.fill();
    return { previous, current: this.size(), added: this.size() - before, removed };
  }

  /**
   * Retires every idle worker and refills: the fresh ones start from the current image, function
   * files and environment. Busy workers finish their run and are kept, as in the original.
   */
  recycleIdle(): PoolRecycle {
    const idle = this.idle.drain();
    for (const w of idle) this.retire(w);
    this.fill();
    return { idle_containers: idle.length };
  }

  /**
   * Restarts the worker named `name` (its container id, or its own id as the admin views show it):
   * an idle one is retired and the pool refills with a fresh one; a busy one is left to finish its
   * run. Answers which it was, or null when no worker of this pool has that name.
   */
  restart(name: string): 'restarted' | 'in_use' | null {
    const named = (w: W) => w.containerId === name || w.id === name;
    if ([...this.busy.keys()].some(named)) return 'in_use';
    const worker = this.idle.workers().find(named);
    if (!worker) return null;
    this.retire(worker);
    this.fill();
    return 'restarted';
  }

  stats(): PoolStats {
    return {
      size: this.size(),
      idle: this.idle.size,
      blank: this.idle.blankCount,
      busy: this.busy.size,
      starting: this.starting,
      ...this.counts,
      lastStartError: this.lastStartError,
    };
  }

  /** Its workers started and not retired (those still starting are not listed), with its limits. */
  view(): PoolView {
    const member = (w: W, state: PoolMember['state']): PoolMember => ({
      id: w.id,
      containerId: w.containerId,
      state,
      runs: w.runs,
      startedAt: this.joined.get(w) ?? Date.now(),
    });
    const { min } = this;
    const { max, maxRuns } = this.opts;
    const members = [
      ...this.idle.workers().map((w) => member(w, 'idle')),
      ...[...this.busy.keys()].map((w) => member(w, 'in_use')),
    ];
    return { min, max, maxRuns, members };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of [...this.waiters]) w.reject(new Error('the function pool is closed'));
    const all = [...this.idle.drain(), ...this.busy.keys()];
    this.busy.clear();
    // a worker that cannot be killed now is gone with its parent (--die-with-parent, labels swept)
    await Promise.all(all.map((w) => w.kill().catch(() => {})));
    // workers still starting are killed as they arrive (arrived → retire)
  }

  private size(): number {
    return this.idle.size + this.busy.size + this.starting;
  }

  private wait(key: string, signal?: AbortSignal): Promise<W> {
    return new Promise<W>((resolve, reject) => {
      const onAbort = () => settle(() => reject(signal?.reason ?? new Error('aborted')));
      const timer = setTimeout(() => settle(() => reject(this.exhausted())), this.opts.acquireTimeoutMs);
      const waiter: Waiter<W> = {
        key,
        resolve: (w) => settle(() => resolve(w)),
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

  private exhausted(): PoolExhaustedError {
    return new PoolExhaustedError(
      `no function worker became free within ${this.opts.acquireTimeoutMs} ms ` +
        `(pool max ${this.opts.max}, ${this.busy.size} busy, ${this.starting} starting` +
        `${this.lastStartError ? `; last start error: ${this.lastStartError}` : ''})`,
    );
  }

  /** Waiters, oldest first, get an idle worker their key may use; then the pool refills. */
  private balance(): void {
    if (this.closed) return;
    for (const waiter of [...this.waiters]) {
      const worker = this.idle.take(waiter.key);
      if (!worker) continue;
      this.busy.set(worker, waiter.key);
      waiter.resolve(worker);
    }
    this.fill();
  }

  private retire(worker: W): void {
    this.counts.recycled++;
    this.idle.remove(worker);
    worker.onGone = null;
    // a kill that fails leaves a process that dies with its parent; the run has its outcome already
    void worker.kill().catch(() => {});
  }

  /**
   * Starts a worker for each waiter and until `min` blank ones are ready or starting. When the pool is
   * full, a waiter's start retires the least recently used idle worker (of another key: an idle one of
   * its own would have served it); keeping blanks ready never does, so warm workers are not churned.
   */
  private fill(): void {
    if (this.closed || this.retryTimer) return;
    // workers starting now go to waiters first; the first `forWaiters` starts are for waiters
    const forWaiters = this.waiters.length - this.starting;
    const wanted = forWaiters + this.min - this.idle.blankCount;
    for (let i = 0; i < wanted; i++) {
      if (this.size() >= this.opts.max) {
        const victim = i < forWaiters ? this.idle.evictLeastRecent() : null;
        if (!victim) return;
        this.counts.evicted++;
        this.retire(victim);
      }
      this.startOne();
    }
  }

  private startOne(): void {
    this.starting++;
    this.start().then(
      (worker) => {
        this.starting--;
        this.arrived(worker);
      },
      (err: unknown) => {
        this.starting--;
        this.counts.startFailures++;
        this.lastStartError = err instanceof Error ? err.message : String(err);
        // a waiter gets the platform fault rather than a timeout; refill again after a pause
        this.waiters[0]?.reject(new Error(`could not start a function worker: ${this.lastStartError}`));
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.balance();
        }, RETRY_AFTER_FAILURE_MS);
        this.retryTimer.unref();
      },
    );
  }

  /** A started worker is blank: the oldest waiter takes it, else it waits for any key. */
  private arrived(worker: W): void {
    if (this.closed || !worker.alive) {
      this.retire(worker);
      this.fill();
      return;
    }
    worker.onGone = () => this.onWorkerGone(worker);
    this.joined.set(worker, Date.now());
    this.idle.addBlank(worker);
    this.balance();
  }

  private onWorkerGone(worker: W): void {
    if (!this.idle.remove(worker)) return; // busy workers are handled by the runner that holds them
    this.counts.recycled++;
    this.fill();
  }
}
