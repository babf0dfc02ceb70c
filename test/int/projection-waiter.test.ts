/**
 * ProjectionWaiter against real Postgres: it reads the checkpoints once when it starts listening
 * (they may have moved before), and from then on hears every move by NOTIFY, so a read-your-writes
 * wait costs the API process no query.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ensureCheckpoint, writeCheckpoint } from '../../src/projections/checkpoints.js';
import { ProjectionWaiter } from '../../src/projections/waiter.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { loggedPool, type QueryLog } from '../support/query-log.js';

describe('ProjectionWaiter', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  /** the writer's pool (a worker moving checkpoints) */
  let pool: pg.Pool;
  let waiterPool: pg.Pool;
  let log: QueryLog;
  let waiter: ProjectionWaiter;
  const name = () => `w_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    await migrate(pool);
    ({ pool: waiterPool, log } = loggedPool(db.url, 2));
  });
  beforeEach(() => (waiter = new ProjectionWaiter(waiterPool, db.url)));
  afterEach(() => waiter.stop());
  after(async () => {
    await waiterPool?.end();
    await pool?.end();
    await db?.drop();
  });

  it('sees a checkpoint that moved before it started listening', async () => {
    const p = name();
    await ensureCheckpoint(pool, p, 1);
    await writeCheckpoint(pool, p, 7n);
    expect(await waiter.waitFor([p], 7n, 30_000)).to.equal(true);
    expect(waiter.reachedOf(p)).to.equal(7n);
  });

  it('once listening, waits for a checkpoint to move without a query', async () => {
    const p = name();
    await ensureCheckpoint(pool, p, 1);
    expect(await waiter.waitFor([p], 0n, 30_000)).to.equal(true);
    log.clear();
    const waited = waiter.waitFor([p], 5n, 30_000);
    await writeCheckpoint(pool, p, 5n);
    expect(await waited).to.equal(true);
    expect(log.queries.map((q) => q.text)).to.deep.equal([]);
  });
});
