/**
 * A schedule's tick stream keeps only its last ticks (TickLog's retention), on the real Postgres
 * event store: the stream is truncated, and the state a claim decides on and the expected revision
 * it appends at are what they would have been with the whole stream, so exactly-once holds on.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ConcurrencyError } from '../../src/errors.js';
import { scheduleTickStream } from '../../src/events/schedule-events.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { migrate } from '../../src/runtime/migrate.js';
import { claimed, TickLog } from '../../src/runtime/schedules/tick-log.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';

describe('schedule tick stream retention', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;
  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
  });
  after(async () => {
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  it('keeps the last ticks while claims at the stream revision go on working', async () => {
    const id = randomUUID();
    const ticks = new TickLog(store, { keep: 4, trimEvery: 4 });
    const due = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i));
    for (let i = 0; i < 10; i++) {
      const { expected } = await ticks.state(id);
      const at = await ticks.append(id, claimed(id, due(i), 0, due(i)), expected, 'system');
      const fired = { scheduleId: id, due: due(i).toISOString(), at: due(i).toISOString() };
      await ticks.append(id, { type: 'ScheduleTickFired', data: fired }, at, 'system');
    }
    const kept = await store.readStream(scheduleTickStream(id));
    expect(kept.map((e) => e.revision)).to.deep.equal([16n, 17n, 18n, 19n]);
    const { history, expected } = await ticks.state(id);
    expect(expected).to.equal(19n);
    expect(history.lastDue?.toISOString()).to.equal(due(9).toISOString());
    // a worker that read before the last tick loses the race as before
    const stale = await ticks.append(id, claimed(id, due(10), 0, due(10)), 17n, 'system').catch((e) => e);
    expect(stale).to.be.instanceOf(ConcurrencyError);
    expect(await ticks.append(id, claimed(id, due(10), 0, due(10)), 19n, 'system')).to.equal(20n);
  });
});
