/**
 * The request log writer on a real Postgres: batches land in one flush, rows past the count or age
 * bound are pruned (the newest kept), and a flush that fails is logged, never thrown.
 */
import { expect } from 'chai';
import pg from 'pg';
import { RequestLogWriter, type RequestLogEntry } from '../../src/runtime/admin/request-log-writer.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, type TestDatabase, testPool } from '../support/pg.js';

const entry = (path: string, at = new Date()): RequestLogEntry => ({
  at,
  userId: 'u-1',
  method: 'GET',
  path,
  status: 200,
  durationMs: 3.4,
});
const LIMITS = { flushMs: 60_000, maxAgeMs: 3_600_000, maxRows: 3, bufferMax: 100 };

describe('request log writer', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown) => void warnings.push(o) };
  beforeEach(async () => {
    warnings.length = 0;
    db = await freshDatabase();
    pool = testPool(db.url, 2);
    await migrate(pool);
  });
  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  const paths = async () =>
    (await pool.query<{ path: string }>('SELECT path FROM request_logs ORDER BY seq')).rows.map(
      (r) => r.path,
    );

  it('writes a batch in one flush and keeps only the newest maxRows', async () => {
    const writer = new RequestLogWriter(pool, LIMITS, log);
    for (const p of ['/a', '/b', '/c', '/d', '/e']) writer.record(entry(p));
    expect(await paths(), 'nothing written before a flush').to.deep.equal([]);
    await writer.flush();
    expect(await paths()).to.deep.equal(['/c', '/d', '/e']);
    const row = (await pool.query('SELECT * FROM request_logs ORDER BY seq DESC LIMIT 1')).rows[0];
    expect(row).to.include({ user_id: 'u-1', method: 'GET', status_code: 200, response_time_ms: 3 });
    expect(warnings).to.deep.equal([]);
  });

  it('logs a signed link or any long token in a path as {token}', async () => {
    const writer = new RequestLogWriter(pool, { ...LIMITS, maxRows: 100 }, log);
    const token = `${'a'.repeat(40)}.${'b'.repeat(43)}`;
    writer.record(entry(`/files/serve/short.sig`));
    writer.record(entry(`/api/v1/things/${token}/more`));
    writer.record(entry('/chats/7f1c2a34-5b6d-4e8f-9a0b-1c2d3e4f5a6b/messages'));
    await writer.flush();
    expect(await paths()).to.deep.equal([
      '/files/serve/{token}',
      '/api/v1/things/{token}/more',
      '/chats/7f1c2a34-5b6d-4e8f-9a0b-1c2d3e4f5a6b/messages',
    ]);
  });

  it('prunes requests older than maxAgeMs', async () => {
    const writer = new RequestLogWriter(pool, { ...LIMITS, maxRows: 100, maxAgeMs: 60_000 }, log);
    writer.record(entry('/old', new Date(Date.now() - 120_000)));
    writer.record(entry('/new'));
    await writer.flush();
    expect(await paths()).to.deep.equal(['/new']);
  });

  it('drops what does not fit its buffer and says how many', async () => {
    const writer = new RequestLogWriter(pool, { ...LIMITS, maxRows: 100, bufferMax: 2 }, log);
    for (const p of ['/1', '/2', '/3']) writer.record(entry(p));
    await writer.flush();
    expect(await paths()).to.deep.equal(['/1', '/2']);
    expect(warnings).to.deep.equal([{ dropped: 1 }]);
  });

  it('logs a failed flush instead of throwing, and writes again afterwards', async () => {
    const writer = new RequestLogWriter(pool, { ...LIMITS, maxRows: 100 }, log);
    await pool.query('ALTER TABLE request_logs RENAME TO request_logs_away');
    writer.record(entry('/lost'));
    await writer.flush(); // resolves
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ requests: 1 });
    await pool.query('ALTER TABLE request_logs_away RENAME TO request_logs');
    writer.record(entry('/kept'));
    await writer.stop();
    expect(await paths()).to.deep.equal(['/kept']);
  });
});
