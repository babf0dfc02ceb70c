/**
 * Runs one projection: reads `$all` from its checkpoint in batches, applies each batch and writes the
 * checkpoint in the same transaction; once caught up it follows the store's live feed. Several
 * runners of the same projection (several workers) are safe: the checkpoint row is locked per batch,
 * and a runner that finds it moved re-reads from there.
 */
import type pg from 'pg';
import type { Subscription } from 'rxjs';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { upcast } from '../events/upcasters.js';
import { batchSql, movedTo } from './batch-sql.js';
import { beginWithCheckpointLocked, commitWithCheckpoint, ensureCheckpoint } from './checkpoints.js';
import { liveTables, type Projection } from './projection.js';
import { inTransaction } from './transaction.js';
import { withClient } from '../events/postgres/with-client.js';
import { Backoff, type LoopLog } from '../retry-loop.js';

export interface RunnerOptions {
  readonly batchSize?: number;
  /** where a failing runner says so: once when it starts failing, once when it recovers */
  readonly log?: LoopLog;
  /** told of every failure, each retry's included */
  readonly onError?: (err: unknown) => void;
}

/** A batch said as statements whose text is longer than this is sent statement by statement. */
const ONE_TRIP_MAX_CHARS = 4 * 1024 * 1024;

/** Following live, a runner this many batches behind goes back to paging through the store. */
const MAX_QUEUED_BATCHES = 10;

export class ProjectionRunner {
  private stopped = false;
  private wake: (() => void) | undefined;
  private done: Promise<void> | undefined;
  private cp = 0n;
  /** cuts a backoff wait short at stop */
  private readonly halt = new AbortController();

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
    this.halt.abort();
    this.wake?.();
    await this.done;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 1000;
  }

  /**
   * Pages through the store until caught up, then follows the store's live feed of the events its
   * filter matches: an event it does not match costs it nothing (no query, no wake-up). Whenever
   * the checkpoint turns out to have moved elsewhere, or it falls far behind, it pages again.
   */
  private async run(): Promise<void> {
    const backoff = new Backoff(this.options.log, { projection: this.projection.name });
    while (!this.stopped) {
      try {
        this.cp = await prepare(this.pool, this.projection);
        break;
      } catch (err) {
        this.options.onError?.(err);
        if (!this.stopped) await backoff.failed(err, this.halt.signal);
      }
    }
    // a failure anywhere (the database gone, say) resumes from the checkpoint, which only moves
    // with a committed batch
    while (!this.stopped) {
      try {
        await this.catchUp();
        backoff.succeeded();
        if (!this.stopped) await this.follow(backoff);
      } catch (err) {
        this.options.onError?.(err);
        if (!this.stopped) await backoff.failed(err, this.halt.signal);
      }
    }
  }

  /** Reads and applies batches from the checkpoint until a read comes back short. */
  private async catchUp(): Promise<void> {
    while (!this.stopped) {
      const events = await this.store.readAll({
        after: this.cp,
        maxCount: this.batchSize,
        filter: this.projection.filter,
      });
      if (events.length > 0) this.cp = await this.applyBatch(events);
      if (events.length < this.batchSize) return;
    }
  }

  /**
   * Applies the matching events the store delivers after the checkpoint, a burst at a time, until
   * stopped, too far behind, or the checkpoint moved elsewhere (another runner, a rebuild).
   */
  private async follow(backoff: Backoff): Promise<void> {
    const queue: RecordedEvent[] = [];
    let signal = () => {};
    let leave: { failed?: unknown } | undefined;
    const sub: Subscription = this.store
      .subscribeToAll({
        after: this.cp,
        ...(this.projection.filter ? { filter: this.projection.filter } : {}),
      })
      .subscribe({
        next: (e) => {
          queue.push(e);
          if (queue.length > MAX_QUEUED_BATCHES * this.batchSize) leave ??= {};
          signal();
        },
        error: (err) => {
          leave ??= { failed: err };
          signal();
        },
        complete: () => {
          leave ??= {};
          signal();
        },
      });
    this.wake = () => signal();
    try {
      while (!this.stopped && !leave) {
        if (queue.length === 0) {
          // resumed after the synchronous burst that signalled it, so the whole burst is queued
          await new Promise<void>((resolve) => (signal = resolve));
          signal = () => {};
          continue;
        }
        const events = queue.splice(0, this.batchSize).filter((e) => e.position > this.cp);
        if (events.length === 0) continue;
        const last = events.at(-1)!.position;
        this.cp = await this.applyBatch(events);
        backoff.succeeded();
        if (this.cp !== last) leave ??= {};
      }
    } finally {
      sub.unsubscribe();
      this.wake = undefined;
    }
    if (leave && 'failed' in leave) throw leave.failed;
  }

  /**
   * Applies a batch and moves the checkpoint in one transaction: one round trip for a projection
   * that says its batch as statements, else two besides the projection's own statements. Returns
   * the checkpoint as found (unchanged) when it had moved.
   */
  private async applyBatch(events: RecordedEvent[]): Promise<bigint> {
    const p = this.projection;
    const oneTrip = this.oneTripSql(events);
    if (oneTrip !== undefined) return this.applyInOneTrip(oneTrip, events.at(-1)!.position);
    return withClient(this.pool, async (client, discard) => {
      try {
        const current = await beginWithCheckpointLocked(client, p.name);
        if (!current || current.position !== this.cp) {
          await client.query('ROLLBACK');
          return current?.position ?? 0n;
        }
        const last = events.at(-1)!.position;
        await p.apply(client, events.map(upcast), liveTables(p));
        await commitWithCheckpoint(client, p.name, last);
        return last;
      } catch (err) {
        // a connection that cannot roll back is closed, not pooled
        await client.query('ROLLBACK').catch((why: Error) => discard(why));
        throw err;
      }
    });
  }

  /**
   * The batch as one simple query (./batch-sql.ts), when the projection says it as statements and
   * the text stays small (a long catch-up's batch of large events goes statement by statement).
   */
  private oneTripSql(events: RecordedEvent[]): string | undefined {
    const p = this.projection;
    if (!p.statements) return undefined;
    const statements = p.statements(events.map(upcast), liveTables(p));
    const sql = batchSql(p.name, this.cp, events.at(-1)!.position, statements);
    return sql.length <= ONE_TRIP_MAX_CHARS ? sql : undefined;
  }

  /** Sends a batch as one simple query; the checkpoint as found when it had moved. */
  private async applyInOneTrip(sql: string, last: bigint): Promise<bigint> {
    return withClient(this.pool, async (client, discard) => {
      try {
        await client.query(sql);
        return last;
      } catch (err) {
        // the claim or a statement failed inside the transaction: end it (a connection that cannot is closed)
        await client.query('ROLLBACK').catch((why: Error) => discard(why));
        const moved = movedTo(err);
        if (moved === undefined) throw err;
        return moved;
      }
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
