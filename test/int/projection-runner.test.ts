/**
 * ProjectionRunner against real Postgres: it catches up by paging, then follows the store's live
 * feed; each event it matches is applied once, in order, also with two runners (two processes) of
 * one projection; events it does not match cost it nothing; stop and restart keep the checkpoint.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventStore, RecordedEvent } from '../../src/events/event-store.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { readCheckpoint } from '../../src/projections/checkpoints.js';
import type { Projection, TableNames } from '../../src/projections/projection.js';
import { ProjectionRunner, type RunnerOptions } from '../../src/projections/runner.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { loggedPool, type QueryLog } from '../support/query-log.js';
import { appendMany } from '../support/store-memory.js';
import { until } from '../support/until.js';
import { ev } from './event-store.contract.js';

/** One row per event applied, in the order applied: a duplicate shows as a second row. */
function tally(category: string): Projection {
  const name = `tally_${category}`;
  return {
    name,
    version: 1,
    filter: { categories: [category] },
    tables: [name],
    createTables: (t) =>
      `CREATE TABLE IF NOT EXISTS ${t[name]} (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, position bigint NOT NULL)`,
    async apply(tx, events, t) {
      await tx.query(
        `INSERT INTO ${t[name]} (event_id, position)
         SELECT id, p FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS u(id, p, n) ORDER BY n`,
        [events.map((e) => e.id), events.map((e) => String(e.position))],
      );
    },
  };
}

/**
 * The same tally said as statements (the runner then sends a batch with its checkpoint in one
 * round trip), keeping each event's `text` as given: the statements' values are written into the
 * query text as literals.
 */
function tallyStatements(category: string): Projection {
  const base = tally(category);
  const name = base.name;
  const statements = (events: readonly RecordedEvent[], t: TableNames) =>
    events.map((e) => ({
      text: `INSERT INTO ${t[name]} (event_id, position, text) VALUES ($1, $2, $3)`,
      values: [e.id, String(e.position), (e.data as { text?: string }).text ?? null],
    }));
  return {
    ...base,
    createTables: (t) => `${base.createTables(t)}; ALTER TABLE ${t[name]} ADD COLUMN IF NOT EXISTS text text`,
    async apply(tx, events, t) {
      for (const s of statements(events, t)) await tx.query(s.text, s.values);
    },
    statements,
  };
}

/** Two processes' worth: a pool and a store each. */
interface Process {
  readonly pool: pg.Pool;
  readonly store: PgEventStore;
  readonly log: QueryLog;
}

describe('ProjectionRunner', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  /** for the test's own reads, outside any process under test */
  let pool: pg.Pool;
  const processes: Process[] = [];
  const runners: ProjectionRunner[] = [];
  let errors: unknown[];
  let cat: string;
  let projection: Projection;

  const startProcess = (): Process => {
    const { pool: p, log } = loggedPool(db.url, 6);
    const proc = { pool: p, log, store: new PgEventStore(p, db.url) };
    processes.push(proc);
    return proc;
  };
  const runner = (proc: Process, options: RunnerOptions = {}) => {
    const r = new ProjectionRunner(proc.pool, proc.store, projection, {
      onError: (err) => errors.push(err),
      ...options,
    });
    runners.push(r);
    r.start();
    return r;
  };

  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    await migrate(pool);
  });
  after(async () => {
    for (const r of runners) await r.stop();
    for (const p of processes) await p.store.close();
    for (const p of processes) await p.pool.end();
    await pool?.end();
    await db?.drop();
  });
  beforeEach(() => {
    cat = `pr${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    projection = tally(cat);
    errors = [];
  });
  afterEach(() => expect(errors.map(String)).to.deep.equal([]));

  const checkpoint = async () => (await readCheckpoint(pool, projection.name))?.position ?? 0n;
  /** the last position among the events the projection matches */
  const lastMatching = async (store: EventStore) =>
    (await store.readAll({ filter: projection.filter })).at(-1)!.position;
  const projected = async (store: EventStore) => {
    const target = await lastMatching(store);
    await until(`the projection to reach ${target}`, async () => (await checkpoint()) >= target);
  };
  /** every matching event applied exactly once, in `$all` order */
  const expectAppliedOnce = async (store: EventStore, count: number) => {
    const events = await store.readAll({ filter: projection.filter });
    expect(events).to.have.length(count);
    const { rows } = await pool.query<{ event_id: string }>(
      `SELECT event_id FROM ${projection.name} ORDER BY seq`,
    );
    expect(rows.map((r) => r.event_id)).to.deep.equal(events.map((e) => e.id));
  };

  it('applies events appended by several processes live, in order, exactly once', async () => {
    const a = startProcess();
    const b = startProcess();
    const r = runner(a);
    await a.store.append(`${cat}-0`, [ev('First')], 'any');
    await projected(a.store);
    let matching = 1;
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const events = Array.from({ length: 1 + (i % 3) }, (_, k) => ev(`E${i}.${k}`));
        const other = i % 5 === 4; // another category, which the projection does not read
        if (!other) matching += events.length;
        return new Promise((res) => setTimeout(res, Math.random() * 300)).then(() =>
          [a, b][i % 2]!.store.append(`${other ? 'x' : ''}${cat}-${i % 3}`, events, 'any'),
        );
      }),
    );
    await projected(a.store);
    await expectAppliedOnce(a.store, matching);
    expect(r.position).to.equal(await checkpoint());
  });

  it('events its filter does not match cost it no query', async () => {
    const proc = startProcess();
    const r = runner(proc);
    await proc.store.append(`${cat}-0`, [ev('Matching')], 'any');
    await projected(proc.store);
    // following live: subscribed to the store, which then follows the head (nothing else here subscribes)
    await until('the runner to follow', () => proc.store.recentPosition() !== undefined);
    proc.log.clear();
    for (let i = 0; i < 50; i++) await proc.store.append(`other${cat}-${i % 3}`, [ev(`Other${i}`)], 'any');
    const last = await proc.store.append(`${cat}-0`, [ev('Matching')], 'any');
    await until('the second matching event', () => r.position >= last.position);
    // besides the appends and the store's safety poll of the head
    const ran = proc.log.queries
      .map((q) => q.text)
      .filter((sql) => !/es_append_batch|FROM es_head/.test(sql));
    expect(ran, `one batch: lock the checkpoint, insert, commit; ran:\n${ran.join('\n')}`).to.have.length(3);
    expect(proc.log.reading('es_events')).to.deep.equal([]);
    await expectAppliedOnce(proc.store, 2);
  });

  it('a projection that says its batch as statements applies a batch and moves its checkpoint in one query', async () => {
    projection = tallyStatements(cat);
    const proc = startProcess();
    const r = runner(proc);
    await proc.store.append(`${cat}-0`, [ev('First')], 'any');
    await projected(proc.store);
    await until('the runner to follow', () => proc.store.recentPosition() !== undefined);
    proc.log.clear();
    const tricky = `it's a \\ back'slash, $1 and $$ dollars, '' quotes, "ids", \u00e9 ü 日本`;
    const last = await proc.store.append(`${cat}-0`, [ev('Tricky', { text: tricky }), ev('Next')], 'any');
    await until('the batch', () => r.position >= last.position);
    const ran = proc.log.queries
      .map((q) => q.text)
      .filter((sql) => !/es_append_batch|FROM es_head/.test(sql));
    expect(ran, `one query: claim, rows, checkpoint, commit; ran:\n${ran.join('\n')}`).to.have.length(1);
    await expectAppliedOnce(proc.store, 3);
    const { rows } = await pool.query<{ text: string | null }>(
      `SELECT text FROM ${projection.name} ORDER BY seq`,
    );
    expect(rows.map((x) => x.text)).to.deep.equal([null, tricky, null]);
  });

  it('a batch as statements whose checkpoint moved meanwhile writes nothing, and the runner goes on from there', async () => {
    projection = tallyStatements(cat);
    const proc = startProcess();
    const r = runner(proc);
    await proc.store.append(`${cat}-0`, [ev('First')], 'any');
    await projected(proc.store);
    // another runner (played by this transaction) holds the checkpoint while the batch arrives
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM projection_checkpoints WHERE name = $1 FOR UPDATE', [projection.name]);
      const taken = await proc.store.append(`${cat}-0`, [ev('TakenByTheOther')], 'any');
      await until('the batch to wait for the checkpoint', async () => {
        const { rows } = await pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%sinas_claim_checkpoint%'`,
        );
        return rows.length > 0;
      });
      await other.query('UPDATE projection_checkpoints SET position = $2 WHERE name = $1', [
        projection.name,
        String(taken.position),
      ]);
      await other.query('COMMIT');
    } finally {
      other.release();
    }
    const last = await proc.store.append(`${cat}-0`, [ev('After')], 'any');
    await until('the event after', () => r.position >= last.position);
    const { rows } = await pool.query<{ position: string }>(
      `SELECT position FROM ${projection.name} ORDER BY seq`,
    );
    const all = await proc.store.readAll({ filter: projection.filter });
    expect(rows.map((x) => x.position)).to.deep.equal([all[0]!, all[2]!].map((e) => String(e.position)));
  });

  for (const statements of [false, true])
    it(`two runners of one projection in two processes apply each event once between them${statements ? ' (batches as statements)' : ''}`, async () => {
      if (statements) projection = tallyStatements(cat);
      const a = startProcess();
      const b = startProcess();
      runner(a);
      runner(b, { batchSize: 7 });
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          new Promise((res) => setTimeout(res, Math.random() * 400)).then(() =>
            [a, b][i % 2]!.store.append(
              `${cat}-${i % 4}`,
              Array.from({ length: 1 + (i % 2) }, (_, k) => ev(`E${i}.${k}`)),
              'any',
            ),
          ),
        ),
      );
      await projected(a.store);
      await expectAppliedOnce(a.store, 450);
    });

  it('a runner with batchSize 2 that falls far behind still applies every event once', async () => {
    const proc = startProcess();
    const r = runner(proc, { batchSize: 2 });
    await proc.store.append(`${cat}-0`, [ev('First')], 'any');
    await projected(proc.store); // following live
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => appendMany(proc.store, `${cat}-${i}`, 100, 'E', 50)),
    );
    await projected(proc.store);
    await expectAppliedOnce(proc.store, 501);
    expect(r.position).to.equal(await checkpoint());
  });

  it('stop() ends while following live, and a runner started later continues from the checkpoint', async () => {
    const proc = startProcess();
    const first = runner(proc);
    await appendMany(proc.store, `${cat}-0`, 10);
    await projected(proc.store);
    await first.stop(); // a stop that waited for more events would never end
    await appendMany(proc.store, `${cat}-0`, 10);
    const later = startProcess(); // a restarted process
    runner(later);
    await projected(later.store);
    await expectAppliedOnce(later.store, 20);
  });

  it('stop() in the middle of a long catch-up ends it before its end; a runner started later applies the rest once', async () => {
    const proc = startProcess();
    await appendMany(proc.store, `${cat}-0`, 1000, 'E', 500);
    const first = runner(proc, { batchSize: 2 });
    await until('a first batch', async () => (await checkpoint()) > 0n);
    await first.stop();
    const stoppedAt = await checkpoint();
    expect(stoppedAt < (await lastMatching(proc.store)), 'stopped before the end').to.equal(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(await checkpoint(), 'no batch after stop').to.equal(stoppedAt);
    runner(startProcess());
    await projected(proc.store);
    await expectAppliedOnce(proc.store, 1000);
  });
});
