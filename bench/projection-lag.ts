/**
 * `projection_lag`: a steady 500 events/s through store.append while a ProjectionRunner keeps a
 * one-row-per-event table; per event, the time from its append's commit (the promise resolving) to
 * the projection's commit that makes its row visible. Visibility is observed the way API processes
 * see it: LISTEN on the checkpoint channel, whose NOTIFY is delivered when the projection commits.
 * Baseline: the commit latency of one raw INSERT at the same rate, in the same run.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { RecordedEvent } from '../src/events/event-store.js';
import { PgListener } from '../src/events/postgres/pg-listener.js';
import { PgEventStore } from '../src/events/postgres/pg-event-store.js';
import { PROJECTION_CHANNEL, type Projection, type TableNames } from '../src/projections/projection.js';
import { ProjectionRunner } from '../src/projections/runner.js';
import { benchPool, freshDatabase } from './db.js';
import { emit, log, sleep } from './io.js';
import { paced } from './load.js';
import { percentile, round } from './stats.js';

const RATE = Number(process.env.BENCH_LAG_RATE ?? 500);
const DURATION_MS = Number(process.env.BENCH_LAG_MS ?? 10_000);
const BASELINE_MS = 5000;
const WARMUP_MS = 2000;
const STREAMS = 100;
const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 10);

/** When apply() first saw each position (inside the runner's transaction), and how many batches. */
const applied = { at: new Map<bigint, number>(), batches: 0 };

/** One row per event: its position and id. Notes when it applies, to split the lag in two. */
const lagProjection: Projection = {
  name: 'bench_lag',
  version: 1,
  tables: ['bench_lag_rows'],
  createTables: (t: TableNames) =>
    `CREATE TABLE IF NOT EXISTS ${t.bench_lag_rows} (position bigint PRIMARY KEY, event_id uuid NOT NULL)`,
  async apply(tx: pg.PoolClient, events: readonly RecordedEvent[], t: TableNames) {
    const now = performance.now();
    applied.batches++;
    for (const e of events) if (!applied.at.has(e.position)) applied.at.set(e.position, now);
    await tx.query(
      `INSERT INTO ${t.bench_lag_rows} (position, event_id) SELECT * FROM unnest($1::bigint[], $2::uuid[])`,
      [events.map((e) => String(e.position)), events.map((e) => e.id)],
    );
  },
};

/** Checkpoint notifications as (position, time received), in arrival order (positions increase). */
class Visibility {
  readonly seen: { position: bigint; at: number }[] = [];
  private readonly listener: PgListener;
  constructor(url: string) {
    this.listener = new PgListener(url, PROJECTION_CHANNEL);
    this.listener.messages.subscribe((payload) => {
      const [name, position] = payload.split(':');
      if (name === lagProjection.name && position)
        this.seen.push({ position: BigInt(position), at: performance.now() });
    });
  }
  start = () => this.listener.start();
  stop = () => this.listener.stop();
  get head(): bigint {
    return this.seen.at(-1)?.position ?? 0n;
  }
  /** when the first checkpoint at or past `position` was seen (binary search) */
  visibleAt(position: bigint): number | undefined {
    let lo = 0;
    let hi = this.seen.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.seen[mid]!.position >= position) hi = mid;
      else lo = mid + 1;
    }
    return this.seen[lo]?.at;
  }
}

interface Appended {
  readonly position: bigint;
  readonly sentAt: number;
  readonly committedAt: number;
}

async function appendAtRate(store: PgEventStore, ms: number): Promise<Appended[]> {
  const done: Promise<Appended>[] = [];
  await paced(RATE, ms, (i) => {
    const sentAt = performance.now();
    const commandId = randomUUID();
    const event = {
      id: randomUUID(),
      type: 'Ticked',
      data: { i },
      metadata: { correlationId: commandId, causationId: commandId, actor: 'bench', commandId, version: 1 },
    };
    done.push(
      store
        .append(`tick-${i % STREAMS}`, [event], 'any')
        .then((r) => ({ position: r.position, sentAt, committedAt: performance.now() })),
    );
  });
  return Promise.all(done);
}

/** Raw baseline: autocommit single-row INSERTs at the same rate; each one's call → commit latency. */
async function rawCommitLatencies(pool: pg.Pool): Promise<number[]> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_raw_events (id uuid PRIMARY KEY, stream_name text, data jsonb)',
  );
  const latencies: Promise<number>[] = [];
  await paced(RATE, BASELINE_MS, (i) => {
    const t0 = performance.now();
    latencies.push(
      pool
        .query('INSERT INTO bench_raw_events (id, stream_name, data) VALUES ($1, $2, $3)', [
          randomUUID(),
          `tick-${i % STREAMS}`,
          JSON.stringify({ i, actor: 'bench', commandId: randomUUID(), version: 1 }),
        ])
        .then(() => performance.now() - t0),
    );
  });
  return Promise.all(latencies);
}

export async function runProjectionLag(): Promise<void> {
  const db = await freshDatabase(2);
  const pool = benchPool(db.url, POOL_MAX);
  const store = new PgEventStore(pool, db.url);
  const runner = new ProjectionRunner(pool, store, lagProjection, {
    onError: (err) => log(`runner: ${String(err)}`),
  });
  const seen = new Visibility(db.url);
  try {
    await seen.start();
    runner.start();
    log(`projection_lag: warm-up ${WARMUP_MS} ms`);
    await appendAtRate(store, WARMUP_MS);
    log(`projection_lag: raw INSERT commit baseline at ${RATE}/s for ${BASELINE_MS} ms`);
    const commits = await rawCommitLatencies(pool);
    log(`projection_lag: ${RATE} events/s for ${DURATION_MS} ms`);
    const batchesBefore = applied.batches;
    const appended = await appendAtRate(store, DURATION_MS);
    const last = appended.reduce((m, a) => (a.position > m ? a.position : m), 0n);
    for (let waited = 0; seen.head < last && waited < 10_000; waited += 10) await sleep(10);
    const lags: number[] = [];
    const pickups: number[] = [];
    const e2e: number[] = [];
    let missing = 0;
    for (const a of appended) {
      const at = seen.visibleAt(a.position);
      if (at === undefined) missing++;
      else {
        lags.push(Math.max(0, at - a.committedAt));
        e2e.push(at - a.sentAt);
        pickups.push(Math.max(0, (applied.at.get(a.position) ?? at) - a.committedAt));
      }
    }
    const appendLatencies = appended.map((a) => a.committedAt - a.sentAt);
    emit({
      bench: 'projection_lag',
      rate_per_s: RATE,
      p50_ms: round(percentile(lags, 50), 2),
      p99_ms: round(percentile(lags, 99), 2),
      commit_p99_ms: round(percentile(commits, 99), 2),
      commit_p50_ms: round(percentile(commits, 50), 2),
      append_p50_ms: round(percentile(appendLatencies, 50), 2),
      append_p99_ms: round(percentile(appendLatencies, 99), 2),
      e2e_p99_ms: round(percentile(e2e, 99), 2),
      pickup_p50_ms: round(percentile(pickups, 50), 2),
      pickup_p99_ms: round(percentile(pickups, 99), 2),
      runner_avg_batch: round(appended.length / Math.max(1, applied.batches - batchesBefore), 2),
      max_ms: round(Math.max(...lags), 2),
      events: appended.length,
      ...(missing ? { not_visible: missing } : {}),
      notes:
        'lag = projection commit NOTIFY received − append promise resolved (same clock); e2e = from append call; ' +
        'pickup = until the runner calls apply (wake, readAll, BEGIN, checkpoint lock); ' +
        `commit_* = autocommit single-row INSERT at ${RATE}/s for ${BASELINE_MS / 1000} s, run just before`,
      target: 'p99_ms <= 25',
    });
  } finally {
    await runner.stop();
    await seen.stop();
    await store.close();
    await pool.end().catch(() => {});
    await db.drop();
  }
}
