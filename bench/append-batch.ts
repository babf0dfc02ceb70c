/**
 * `append_batch`: events/s when each append carries a 100-event batch (store.append straight, no
 * command path), against raw `pg` multi-row INSERTs of the same rows; interleaved rounds.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ExpectedRevision, NewEvent } from '../src/events/event-store.js';
import { PgEventStore } from '../src/events/postgres/pg-event-store.js';
import { benchPool, freshDatabase } from './db.js';
import { emit, log } from './io.js';
import { closedLoop } from './load.js';
import { median, ratio, round } from './stats.js';

const BATCH = 100;
const WRITERS = 8;
const ROUNDS = Number(process.env.BENCH_BATCH_ROUNDS ?? 3);
const ROUND_MS = 3000;
const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 10);

function newEvents(): NewEvent[] {
  const commandId = randomUUID();
  return Array.from({ length: BATCH }, (_, i) => ({
    id: randomUUID(),
    type: 'Incremented',
    data: { by: i },
    metadata: { correlationId: commandId, causationId: commandId, actor: 'bench', commandId, version: 1 },
  }));
}

export async function runAppendBatch(): Promise<void> {
  const db = await freshDatabase(2);
  const pool = benchPool(db.url, POOL_MAX);
  const store = new PgEventStore(pool, db.url);
  const raw = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const c = new pg.Client({ connectionString: db.url });
      c.on('error', () => {});
      await c.connect();
      return c;
    }),
  );
  try {
    await raw[0]!.query(
      'CREATE TABLE bench_raw_events (id uuid PRIMARY KEY, stream_name text NOT NULL, data jsonb NOT NULL)',
    );
    const expected: ExpectedRevision[] = new Array<ExpectedRevision>(WRITERS).fill('no_stream');
    const oursOp = async (w: number) => {
      const r = await store.append(`batch-${w}`, newEvents(), expected[w]!);
      expected[w] = r.nextExpectedRevision;
    };
    const rawOp = (w: number) => {
      const events = newEvents();
      return raw[w]!.query(
        'INSERT INTO bench_raw_events (id, stream_name, data) SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])',
        [
          events.map((e) => e.id),
          events.map(() => `raw-${w}`),
          events.map((e) => JSON.stringify({ type: e.type, data: e.data, metadata: e.metadata })),
        ],
      );
    };
    const ops = { ours: oursOp, raw: rawOp } as const;
    for (const op of Object.values(ops)) await closedLoop(WRITERS, 1000, op);
    const rounds: Record<keyof typeof ops, number[]> = { ours: [], raw: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, op] of Object.entries(ops) as [keyof typeof ops, (w: number) => Promise<unknown>][]) {
        const perS = (await closedLoop(WRITERS, ROUND_MS, op)) * BATCH;
        rounds[name].push(perS);
        log(`append_batch: round ${r + 1}/${ROUNDS} ${name} ${perS.toFixed(0)} events/s`);
      }
    }
    const ours_per_s = round(median(rounds.ours), 0);
    const raw_pg_per_s = round(median(rounds.raw), 0);
    emit({
      bench: 'append_batch',
      batch: BATCH,
      ours_per_s,
      raw_pg_per_s,
      ratio_raw: ratio(ours_per_s, raw_pg_per_s),
      writers: WRITERS,
      unit: 'events/s',
      pool_max: POOL_MAX,
      notes: `store.append of ${BATCH}-event batches with expected revisions vs. one ${BATCH}-row INSERT ... SELECT unnest per transaction; ${WRITERS} concurrent writers each`,
    });
  } finally {
    await store.close();
    await Promise.all(raw.map((c) => c.end().catch(() => {})));
    await pool.end().catch(() => {});
    await db.drop();
  }
}
