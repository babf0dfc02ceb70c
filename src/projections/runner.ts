/**
 * Runs one projection: reads `$all` from its checkpoint in batches, applies each batch and writes the
 * checkpoint in the same transaction. Several runners of the same projection (several workers) are
 * safe: the checkpoint row is locked per batch, and a runner that finds it moved re-reads from there.
 */
import type pg from 'pg';
import type { Subscription } from 'rxjs';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { upcast } from '../events/upcasters.js';
import { ensureCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoints.js';
import { liveTables, type Projection } from './projection.js';
import { inTransaction } from './transaction.js';

export interface RunnerOptions {
  readonly batchSize?: number;
  readonly onError?: (err: unknown) => void;
}

export class ProjectionRunner {
  private stopped = false;
  private wake: (() => void) | undefined;
  private done: Promise<void> | undefined;
  private latestHead = 0n;
  private cp = 0n;

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    readonly projection: Projection,
    private readonly options: RunnerOptions = {},
  ) {}

  get position(): bigint {
    return this.cp;
  }

  start(): void {
    this.done ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        this.cp = await prepare(this.pool, this.projection);
        break;
      } catch (err) {
        this.options.onError?.(err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const sub: Subscription = this.store.watchHead().subscribe((h) => {
      this.latestHead = h;
      this.wake?.();
    });
    try {
      while (!this.stopped) await this.step();
    } finally {
      sub.unsubscribe();
    }
  }

  private async step(): Promise<void> {
    const target = this.latestHead;
    try {
      const events = await this.store.readAll({
        after: this.cp,
        maxCount: this.options.batchSize ?? 1000,
        filter: this.projection.filter,
      });
      if (events.length > 0) {
        this.cp = await this.applyBatch(events);
        return;
      }
      if (this.latestHead > target || this.stopped) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    } catch (err) {
      this.options.onError?.(err);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private applyBatch(events: RecordedEvent[]): Promise<bigint> {
    const p = this.projection;
    return inTransaction(this.pool, async (tx) => {
      const current = await readCheckpoint(tx, p.name, true);
      if (!current || current.position !== this.cp) return current?.position ?? 0n;
      const last = events.at(-1)!.position;
      await p.apply(tx, events.map(upcast), liveTables(p));
      await writeCheckpoint(tx, p.name, last);
      return last;
    });
  }
}

/** Creates the live tables and the checkpoint row; serialised, since workers start together. */
async function prepare(pool: pg.Pool, p: Projection): Promise<bigint> {
  return inTransaction(pool, async (tx) => {
    await createLiveTables(tx, p);
    return (await ensureCheckpoint(tx, p.name, p.version)).position;
  });
}

/** The projection's live tables (idempotent), under its lock; in the caller's transaction. */
export async function createLiveTables(tx: pg.PoolClient, p: Projection): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`projection:${p.name}`]);
  await tx.query(p.createTables(liveTables(p)));
}
