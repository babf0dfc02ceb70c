/**
 * `rebuild`: 100k events across 1000 streams, appended in big batches straight through
 * store.append, then rebuildProjection of a projection that upserts one row per stream with one
 * batched statement per event batch. Reports the rebuild's events/s (the seeding rate as a side note).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { NewEvent, RecordedEvent } from '../src/events/event-store.js';
import { PgEventStore } from '../src/events/postgres/pg-event-store.js';
import type { Projection, TableNames } from '../src/projections/projection.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { benchPool, freshDatabase } from './db.js';
import { emit, log } from './io.js';
import { round } from './stats.js';

const EVENTS = Number(process.env.BENCH_REBUILD_EVENTS ?? 100_000);
const STREAMS = 1000;
/** events per append while seeding */
const CHUNK = 10;
const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 10);

/** Per stream: how many events, their summed `by`, and the last position. */
const streamTotals: Projection = {
  name: 'bench_stream_totals',
  version: 1,
  tables: ['bench_stream_totals'],
  createTables: (t: TableNames) => `CREATE TABLE IF NOT EXISTS ${t.bench_stream_totals} (
    stream_name text PRIMARY KEY, events int NOT NULL, total bigint NOT NULL, last_position bigint NOT NULL)`,
  async apply(tx: pg.PoolClient, events: readonly RecordedEvent[], t: TableNames) {
    const rows = new Map<string, { events: number; total: number; last: bigint }>();
    for (const e of events) {
      const row = rows.get(e.streamName) ?? { events: 0, total: 0, last: 0n };
      row.events++;
      row.total += Number(e.data.by ?? 0);
      row.last = e.position;
      rows.set(e.streamName, row);
    }
    const table = t.bench_stream_totals;
    await tx.query(
      `INSERT INTO ${table} (stream_name, events, total, last_position)
       SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[])
       ON CONFLICT (stream_name) DO UPDATE SET events = ${table}.events + EXCLUDED.events,
         total = ${table}.total + EXCLUDED.total, last_position = EXCLUDED.last_position`,
      [
        [...rows.keys()],
        [...rows.values()].map((r) => r.events),
        [...rows.values()].map((r) => r.total),
        [...[...rows.values()].map((r) => String(r.last))],
      ],
    );
  },
};

function streamEvents(stream: number, from: number, count: number): NewEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const commandId = randomUUID();
    return {
      id: randomUUID(),
      type: 'Incremented',
      data: { by: (stream + i) % 10, note: `event ${i} of stream ${stream}` },
      metadata: { correlationId: commandId, causationId: commandId, actor: 'bench', commandId, version: 1 },
    };
  });
}

/**
 * Appends EVENTS events, EVENTS/STREAMS per stream, CHUNK per append: each round appends one chunk to
 * every stream at once (the batcher group-commits them), so streams interleave in `$all` as they would live.
 */
async function seed(store: PgEventStore): Promise<number> {
  const perStream = Math.ceil(EVENTS / STREAMS);
  const t0 = performance.now();
  let appended = 0;
  for (let from = 0; from < perStream; from += CHUNK) {
    const count = Math.min(CHUNK, perStream - from);
    const expected = from === 0 ? 'no_stream' : BigInt(from - 1);
    await Promise.all(
      Array.from({ length: STREAMS }, (_, n) =>
        store.append(`totals-${n}`, streamEvents(n, from, count), expected),
      ),
    );
    appended += STREAMS * count;
    log(`rebuild: seeded ${appended}/${STREAMS * perStream}`);
  }
  return appended / ((performance.now() - t0) / 1000);
}

export async function runRebuild(): Promise<void> {
  const db = await freshDatabase(2);
  const pool = benchPool(db.url, POOL_MAX);
  const store = new PgEventStore(pool, db.url);
  try {
    const seedPerS = await seed(store);
    await pool.query('VACUUM ANALYZE es_events');
    let lastLog = 0;
    const t0 = performance.now();
    const result = await rebuildProjection(pool, store, streamTotals, {
      onProgress: (p) => {
        if (p.events - lastLog < 10_000) return;
        lastLog = p.events;
        log(`rebuild: ${p.events} events, position ${p.position}/${p.head}`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const { rows } = await pool.query<{ n: string; events: string }>(
      'SELECT count(*) AS n, sum(events) AS events FROM bench_stream_totals',
    );
    emit({
      bench: 'rebuild',
      events: result.events,
      per_s: round(result.events / seconds, 0),
      seconds: round(seconds, 2),
      streams: Number(rows[0]?.n),
      rows_check: Number(rows[0]?.events) === result.events,
      seed_per_s: round(seedPerS, 0),
      notes: 'rebuildProjection with its default 5000-event read batches; one unnest upsert per batch',
      target: 'per_s >= 20000',
    });
  } finally {
    await store.close();
    await pool.end().catch(() => {});
    await db.drop();
  }
}
