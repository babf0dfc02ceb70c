import { expect } from 'chai';
import { ConcurrencyError } from '../../src/errors.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool } from '../support/pg.js';
import { ev, eventStoreContract } from './event-store.contract.js';

eventStoreContract('postgres', async () => {
  const db = await freshDatabase();
  const pool = testPool(db.url, 20);
  await migrate(pool);
  const store = new PgEventStore(pool, db.url);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
});

describe('Postgres event store: several processes on one database', function () {
  it('checks expected revisions across store instances (separate pools, as separate processes would)', async function () {
    this.timeout(60_000);
    const db = await freshDatabase();
    const pools = [0, 1, 2].map(() => testPool(db.url, 4));
    await migrate(pools[0]!);
    const stores = pools.map((p) => new PgEventStore(p, db.url));
    try {
      for (let round = 0; round < 40; round++) {
        const s = `race-${round}`;
        const results = await Promise.allSettled(
          Array.from({ length: 9 }, (_, i) => stores[i % 3]!.append(s, [ev(`T${i}`)], 'no_stream')),
        );
        expect(
          results.filter((r) => r.status === 'fulfilled'),
          `round ${round}`,
        ).to.have.length(1);
        for (const r of results)
          if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(ConcurrencyError);
      }
    } finally {
      for (const st of stores) await st.close();
      for (const p of pools) await p.end();
      await db.drop();
    }
  });
});

describe('Postgres event store: group commit', function () {
  it('fails only the append Postgres cannot store, not the others in its batch', async function () {
    const db = await freshDatabase();
    const pool = testPool(db.url, 4);
    await migrate(pool);
    const store = new PgEventStore(pool, db.url);
    try {
      const results = await Promise.allSettled([
        store.append('gc-1', [ev('Fine')], 'no_stream'),
        store.append('gc-2', [ev('Bad', { text: 'nul \u0000 byte' })], 'no_stream'),
        store.append('gc-3', [ev('Fine'), ev('Fine')], 'no_stream'),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect(await store.streamRevision('gc-2')).to.equal(undefined);
      expect(await store.streamRevision('gc-3')).to.equal(1n);
    } finally {
      await store.close();
      await pool.end();
      await db.drop();
    }
  });
});
