/**
 * Saved queries run on a real second database (a fresh one on the run's Postgres server): binding,
 * `:user_id` row isolation, read-only transactions, the server's statement timeout, `max_rows` on
 * a million rows, the serialisation of each type, write results, and what a failure becomes.
 */
import { expect } from 'chai';
import pg from 'pg';
import {
  DataSourceError,
  IllegalStateError,
  NotFoundError,
  QueryFailedError,
  TimedOutError,
  ValidationError,
} from '../../src/errors.js';
import { PgDataSource } from '../../src/runtime/data-sources/pg-data-sources.js';
import type { DataSource } from '../../src/runtime/data-sources/data-sources.js';
import { QueryExecutor, type QuerySpec, type SavedQuery } from '../../src/runtime/queries/query-executor.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';

const ALICE = { userId: '00000000-0000-4000-8000-00000000000a', email: 'alice@example.com' };
const BOB = { userId: '00000000-0000-4000-8000-00000000000b', email: 'bob@example.com' };

describe('saved queries on a real database (reference §5.4)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let down: pg.Pool;
  const sources = new Map<string, DataSource>();
  const executor = new QueryExecutor({
    byId: async (id) => {
      const s = sources.get(id);
      if (!s) throw new NotFoundError(`no connection ${id}`);
      return s;
    },
  });
  const query = (spec: Partial<QuerySpec> & { sql: string }): SavedQuery => ({
    namespace: 'q',
    name: 'test',
    spec: { database_connection_id: 'rw', operation: 'read', timeout_ms: 5000, max_rows: 1000, ...spec },
  });
  const run = (
    spec: Partial<QuerySpec> & { sql: string },
    input: Record<string, unknown> = {},
    who = ALICE,
  ) => executor.execute(query(spec), input, who);
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err;
    }
    throw new Error('expected a failure');
  };

  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    sources.set('rw', new PgDataSource('rw', 'rw', false, pool));
    sources.set('ro', new PgDataSource('ro', 'ro', true, pool));
    // a port nothing listens on: a database that is down
    down = testPool('postgres://nobody:x@127.0.0.1:9/none', 1);
    sources.set('down', new PgDataSource('down', 'down', false, down));
    await pool.query(`
      CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL, body text NOT NULL);
      INSERT INTO notes (owner, body) VALUES
        ('${ALICE.userId}', 'alice 1'), ('${ALICE.userId}', 'alice 2'), ('${BOB.userId}', 'bob 1');
      CREATE TABLE big AS SELECT g AS n FROM generate_series(1, 1000000) g;`);
  });
  after(async () => {
    await pool?.end();
    await down?.end();
    await db?.drop();
  });

  it('binds :name placeholders (casts, strings, comments, repeats untouched) and a missing one as NULL', async () => {
    const r = await run(
      {
        sql: `SELECT :a::int + :a::int AS twice, ':a' AS literal, "x:y" AS ident, :missing::text AS missing -- :b
              FROM (SELECT 1 AS "x:y") s /* :c */`,
      },
      { a: 21 },
    );
    expect(r.rows).to.deep.equal([{ twice: 42, literal: ':a', ident: 1, missing: null }]);
  });

  it('passes values to the database, never into the text', async () => {
    const evil = "x'; DROP TABLE notes; --";
    const r = await run({ sql: 'SELECT :v AS v' }, { v: evil });
    expect(r.rows).to.deep.equal([{ v: evil }]);
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).to.equal(3);
  });

  it('shows each user only their rows through :user_id, whatever the input says', async () => {
    const sql = 'SELECT body FROM notes WHERE owner = :user_id ORDER BY id';
    expect((await run({ sql }, {}, ALICE)).rows).to.deep.equal([{ body: 'alice 1' }, { body: 'alice 2' }]);
    expect((await run({ sql }, { user_id: ALICE.userId }, BOB)).rows).to.deep.equal([{ body: 'bob 1' }]);
    const email = await run({ sql: 'SELECT :user_email AS e' }, { user_email: 'forged@example.com' }, BOB);
    expect(email.rows).to.deep.equal([{ e: BOB.email }]);
  });

  it('validates the input against input_schema when it has properties, naming the field', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const err = await failure(run({ sql: 'SELECT :n AS n', input_schema: schema }, { n: '3' }));
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).message).to.match(/^Input validation error: /);
    expect((err as ValidationError).field).to.equal('input.n');
    expect((await run({ sql: 'SELECT :n::int AS n', input_schema: schema }, { n: 3 })).rows).to.deep.equal([
      { n: 3 },
    ]);
  });

  it('runs a read query read-only: one that writes is refused (409), and nothing is written', async () => {
    const err = await failure(run({ sql: "INSERT INTO notes (owner, body) VALUES ('x', 'sneaky')" }));
    expect(err).to.be.instanceOf(IllegalStateError);
    expect((err as Error).message).to.contain('read query');
    expect(
      (await pool.query("SELECT count(*)::int AS n FROM notes WHERE body = 'sneaky'")).rows[0].n,
    ).to.equal(0);
  });

  it('refuses a write query on a read_only connection (the database does), writing nothing', async () => {
    const err = await failure(
      run({
        database_connection_id: 'ro',
        operation: 'write',
        sql: "DELETE FROM notes WHERE body = 'bob 1'",
      }),
    );
    expect(err).to.be.instanceOf(IllegalStateError);
    expect((err as Error).message).to.contain('read_only');
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).to.equal(3);
  });

  it('stops a statement at timeout_ms on the server: a TimedOutError naming the limit', async () => {
    const err = await failure(run({ sql: 'SELECT pg_sleep(30)', timeout_ms: 200 }));
    expect(err).to.be.instanceOf(TimedOutError);
    expect((err as Error).message).to.contain('200 ms');
    // the connection is still good for the next query
    expect((await run({ sql: 'SELECT 1 AS one' })).rows).to.deep.equal([{ one: 1 }]);
  });

  it('returns at most max_rows of a million-row table and says it was cut', async () => {
    const r = await run({ sql: 'SELECT n FROM big ORDER BY n', max_rows: 1000 });
    expect(r.rowCount).to.equal(1000);
    expect(r.truncated).to.equal(true);
    expect(r.rows![999]).to.deep.equal({ n: 1000 });
    const all = await run({ sql: 'SELECT n FROM big WHERE n <= 10', max_rows: 10 });
    expect(all).to.include({ rowCount: 10, truncated: false });
    // a LIMIT in the text, or the word in a column name, changes nothing
    const limited = await run({ sql: 'SELECT n AS limit_at FROM big LIMIT 5000', max_rows: 100 });
    expect(limited).to.include({ rowCount: 100, truncated: true });
  });

  it('serialises uuid and numeric as strings, times as ISO, interval as seconds, bytea as hex', async () => {
    const r = await run({
      sql: `SELECT '6f1c2a9e-1d2b-4c3d-8e4f-5a6b7c8d9e0f'::uuid AS u, 12.50::numeric AS d,
              DATE '2024-02-29' AS day, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts,
              TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tstz, TIME '12:30:00' AS t,
              TIMETZ '12:30:00+02' AS ttz, INTERVAL '1 day 02:00:03.5' AS span,
              INTERVAL '-1 mons' AS back, '\\x48656c6c6f'::bytea AS bytes, 42::int8 AS small,
              9007199254740993::int8 AS huge, '{"a": [1]}'::jsonb AS doc,
              ARRAY['2024-01-02 03:04:05+00'::timestamptz] AS stamps, ARRAY[1.5::numeric] AS ds,
              NULL::uuid AS nothing`,
    });
    expect(r.rows![0]).to.deep.equal({
      u: '6f1c2a9e-1d2b-4c3d-8e4f-5a6b7c8d9e0f',
      d: '12.50',
      day: '2024-02-29',
      ts: '2024-01-02T03:04:05.123456',
      tstz: r.rows![0]!.tstz, // checked below: the offset is the server's time zone
      t: '12:30:00',
      ttz: '12:30:00+02:00',
      span: 86_400 + 7203.5,
      back: -30 * 86_400,
      bytes: '48656c6c6f',
      small: 42,
      huge: '9007199254740993',
      doc: { a: [1] },
      stamps: [r.rows![0]!.tstz],
      ds: ['1.5'],
      nothing: null,
    });
    expect(r.rows![0]!.tstz).to.match(/^2024-01-0\dT\d\d:\d\d:05[+-]\d\d:\d\d$/);
    expect(new Date(r.rows![0]!.tstz as string).toISOString()).to.equal('2024-01-02T03:04:05.000Z');
    expect(JSON.parse(JSON.stringify(r.rows))).to.deep.equal(r.rows);
  });

  it('answers a write with RETURNING with its rows, and one without with the affected count', async () => {
    const inserted = await run(
      {
        operation: 'write',
        sql: 'INSERT INTO notes (owner, body) VALUES (:user_id, :body) RETURNING body',
      },
      { body: 'new' },
    );
    expect(inserted).to.include({ operation: 'write', rowCount: 1, affectedRows: 1 });
    expect(inserted.rows).to.deep.equal([{ body: 'new' }]);
    const updated = await run({
      operation: 'write',
      sql: 'UPDATE notes SET body = body WHERE owner = :user_id',
    });
    expect(updated).to.include({ operation: 'write', rows: null, rowCount: null, affectedRows: 3 });
  });

  it('turns an SQL error into a QueryFailedError with the database message', async () => {
    const err = await failure(run({ sql: 'SELECT * FROM no_such_table' }));
    expect(err).to.be.instanceOf(QueryFailedError);
    expect((err as Error).message).to.match(/^Query execution failed: .*no_such_table/);
  });

  it('turns an unreachable database into a DataSourceError, and a deleted connection into a QueryFailedError', async () => {
    expect(await failure(run({ database_connection_id: 'down', sql: 'SELECT 1' }))).to.be.instanceOf(
      DataSourceError,
    );
    const gone = await failure(run({ database_connection_id: 'gone', sql: 'SELECT 1' }));
    expect(gone).to.be.instanceOf(QueryFailedError);
    expect((gone as Error).message).to.contain('no longer exists');
  });
});
