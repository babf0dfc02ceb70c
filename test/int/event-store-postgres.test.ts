import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import { ConcurrencyError } from '../../src/errors.js';
import type { RecordedEvent } from '../../src/events/event-store.js';
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

describe('Postgres event store: events this process appends', function () {
  it('reach its own live subscribers exactly as a read returns them (jsonb key order, uuid form, createdAt)', async function () {
    const db = await freshDatabase();
    const pool = testPool(db.url, 4);
    await migrate(pool);
    const store = new PgEventStore(pool, db.url);
    try {
      await store.append('local-1', [ev('Warm')], 'no_stream');
      const live = firstValueFrom(
        store.subscribeToStream('local-1', { afterRevision: 0n }).pipe(take(2), toArray()),
      );
      await new Promise((r) => setTimeout(r, 50)); // the subscription is live
      const e = ev('Mixed', {
        zeta: 1,
        a: { long_key: [{ yy: true, x: null }], b: 'é' },
        ab: 'ünïcode',
        äb: 2,
        ba: 0.1,
        skipped: undefined,
        when: new Date(0),
      });
      await store.append('local-1', [{ ...e, id: e.id.toUpperCase() }, ev('Second')], 0n);
      const got = await live;
      const read = await store.readStream('local-1', { fromRevision: 1n });
      const text = (x: RecordedEvent) =>
        JSON.stringify({ ...x, revision: String(x.revision), position: String(x.position) });
      expect(got.map(text)).to.deep.equal(read.map(text));
      expect(got.map((x) => x.createdAt.getTime())).to.deep.equal(read.map((x) => x.createdAt.getTime()));
    } finally {
      await store.close();
      await pool.end();
      await db.drop();
    }
  });

  it('with other processes appending too, every subscriber sees each event once, in position order', async function () {
    this.timeout(60_000);
    const db = await freshDatabase();
    const pools = [0, 1].map(() => testPool(db.url, 4));
    await migrate(pools[0]!);
    const stores = pools.map((p) => new PgEventStore(p, db.url));
    const N = 300;
    try {
      const head = await stores[0]!.headPosition();
      const seen = stores.map((st) =>
        firstValueFrom(
          st.subscribeToAll({ after: head, filter: { categories: ['mix'] } }).pipe(take(N), toArray()),
        ),
      );
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          new Promise((r) => setTimeout(r, i % 7)).then(() =>
            stores[i % 2]!.append(`mix-${i % 5}`, [ev(`E${i}`)], 'any'),
          ),
        ),
      );
      const all = await stores[0]!.readAll({ after: head, filter: { categories: ['mix'] } });
      expect(all).to.have.length(N);
      for (const got of await Promise.all(seen))
        expect(got.map((e) => e.position)).to.deep.equal(all.map((e) => e.position));
    } finally {
      for (const st of stores) await st.close();
      for (const p of pools) await p.end();
      await db.drop();
    }
  });
});
