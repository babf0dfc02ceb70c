import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { firstValueFrom, take, toArray, type Observable, type Subscription } from 'rxjs';
import { ConcurrencyError } from '../../src/errors.js';
import type { RecordedEvent, ReplayedEvent } from '../../src/events/event-store.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { RECENT_EVENTS } from '../../src/events/postgres/tail-reader.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { loggedPool, type QueryLog } from '../support/query-log.js';
import { appendMany, delivered, following, plain } from '../support/store-memory.js';
import { until } from '../support/until.js';
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

describe('Postgres event store: memory of the latest events', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let log: QueryLog;
  let store: PgEventStore;
  /** another process on the same database */
  let otherPool: pg.Pool;
  let other: PgEventStore;
  const subs: Subscription[] = [];
  let cat: string;
  before(async () => {
    db = await freshDatabase();
    ({ pool, log } = loggedPool(db.url, 8));
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
    otherPool = testPool(db.url, 8);
    other = new PgEventStore(otherPool, db.url);
    subs.push(await following(store), await following(other));
  });
  after(async () => {
    for (const s of subs) s.unsubscribe();
    await store?.close();
    await other?.close();
    await pool?.end();
    await otherPool?.end();
    await db?.drop();
  });
  beforeEach(() => (cat = `m${randomUUID().replace(/-/g, '').slice(0, 12)}`));

  /** Subscribes, noting every event; `done` resolves once an event of type `last` has come. */
  function watch(obs: Observable<RecordedEvent>, last: string) {
    const seen: RecordedEvent[] = [];
    let arrived = () => {};
    const done = new Promise<void>((resolve) => (arrived = resolve));
    const sub = obs.subscribe((e) => {
      seen.push(e);
      if (e.type === last) arrived();
    });
    subs.push(sub);
    return { seen, done: done.then(() => sub.unsubscribe()) };
  }

  it('a stream subscription starting among them gets exactly the events after its start, with no query to catch up', async () => {
    const s = `${cat}-s`;
    for (let i = 0; i < 10; i++) {
      await store.append(s, [ev(`S${i}`)], 'any');
      await store.append(`${cat}-other`, [ev(`O${i}`)], 'any');
    }
    await delivered(store, await store.headPosition());
    log.clear();
    const sub = watch(store.subscribeToStream(s, { afterRevision: 3n }), 'End');
    await until('the catch-up', () => sub.seen.length === 6);
    expect(log.reading('es_events'), 'queries to catch up').to.deep.equal([]);
    await store.append(s, [ev('Live1'), ev('Live2')], 'any');
    await other.append(s, [ev('End')], 'any');
    await sub.done;
    const stored = await store.readStream(s, { fromRevision: 4n });
    expect(sub.seen.map(plain)).to.deep.equal(stored.map(plain));
    expect(stored.map((e) => e.type)).to.deep.equal([
      'S4',
      'S5',
      'S6',
      'S7',
      'S8',
      'S9',
      'Live1',
      'Live2',
      'End',
    ]);
  });

  it('an $all subscription with a filter starting among them gets exactly its events after its start, with no query to catch up', async () => {
    const filter = { categories: [cat], eventTypes: ['Wanted', 'End'] };
    const positions: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      positions.push((await store.append(`${cat}-${i % 3}`, [ev('Wanted', { i })], 'any')).position);
      await store.append(`${cat}-${i % 3}`, [ev('Unwanted')], 'any');
      await store.append(`x${cat}-${i % 3}`, [ev('Wanted')], 'any');
    }
    await delivered(store, await store.headPosition());
    log.clear();
    const sub = watch(store.subscribeToAll({ after: positions[2], filter }), 'End');
    await until('the catch-up', () => sub.seen.length === 7);
    expect(log.reading('es_events'), 'queries to catch up').to.deep.equal([]);
    await other.append(`${cat}-0`, [ev('Wanted'), ev('Unwanted')], 'any');
    await store.append(`${cat}-1`, [ev('End')], 'any');
    await sub.done;
    const stored = await store.readAll({ after: positions[2], filter });
    expect(stored).to.have.length(9);
    expect(sub.seen.map(plain)).to.deep.equal(stored.map(plain));
  });

  it(`a subscription starting before their reach (${2 * RECENT_EVENTS}+ events back) reads every event from the database`, async () => {
    const s = `${cat}-long`;
    const before = await store.headPosition();
    await appendMany(store, s, 2 * RECENT_EVENTS + 100);
    await other.append(s, [ev('End')], 'any');
    await delivered(store, await store.headPosition());
    log.clear();
    const fromStart = watch(store.subscribeToStream(s), 'End');
    const fromAll = watch(store.subscribeToAll({ after: before, filter: { categories: [cat] } }), 'End');
    await Promise.all([fromStart.done, fromAll.done]);
    expect(log.reading('es_events'), 'queries to catch up').not.to.deep.equal([]);
    const stored = await store.readStream(s);
    expect(stored).to.have.length(2 * RECENT_EVENTS + 101);
    expect(fromStart.seen.map(plain)).to.deep.equal(stored.map(plain));
    expect(fromAll.seen.map(plain)).to.deep.equal(stored.map(plain));

    // the same stream's latest events are still there to catch up from
    await delivered(store, (await store.append(s, [ev('Last')], 'any')).position);
    log.clear();
    const recent = watch(store.subscribeToStream(s, { afterRevision: BigInt(stored.length - 5) }), 'Last');
    await recent.done;
    expect(log.reading('es_events'), 'queries to catch up').to.deep.equal([]);
    const last = BigInt(stored.length);
    expect(recent.seen.map((e) => e.revision)).to.deep.equal([
      last - 4n,
      last - 3n,
      last - 2n,
      last - 1n,
      last,
    ]);
  });

  it('recentEvents answers only when memory surely holds every event asked for', async () => {
    const old = `${cat}-old`;
    await store.append(old, [ev('A'), ev('B'), ev('C')], 'no_stream');
    await appendMany(store, `${cat}-fill`, 2 * RECENT_EVENTS);
    const s = `${cat}-s`;
    await appendMany(store, s, 10);
    await delivered(store, await store.headPosition());
    expect(store.recentEvents(old, { revision: -1n }), 'pushed out').to.equal(undefined);
    expect(store.recentEvents(old, { revision: 2n }), 'none of it in memory').to.equal(undefined);
    expect(store.recentEvents(`${cat}-fill`, { revision: 0n }), 'partly pushed out').to.equal(undefined);
    const newer = store.recentEvents(s, { revision: 4n });
    expect(newer?.map(plain)).to.deep.equal((await store.readStream(s, { fromRevision: 5n })).map(plain));
    expect(store.recentEvents(s, { revision: 9n })).to.deep.equal([]);
    expect(store.recentEvents(`${cat}-never`, { revision: -1n })).to.equal(undefined);

    // known completely up to an earlier recentPosition: an unchanged stream is answered with []
    const asOf = store.recentPosition()!;
    await appendMany(store, `${cat}-fill`, 10);
    expect(store.recentEvents(old, { revision: 2n, position: asOf })).to.deep.equal([]);
    expect(store.recentEvents(`${cat}-never`, { revision: -1n, position: asOf })).to.deep.equal([]);
    await store.append(old, [ev('D')], 2n);
    const d = store.recentEvents(old, { revision: 2n, position: asOf });
    expect(d?.map(plain)).to.deep.equal((await store.readStream(old, { fromRevision: 3n })).map(plain));
    // ... until memory no longer reaches back to that position
    await appendMany(store, `${cat}-fill`, 2 * RECENT_EVENTS);
    await store.append(old, [ev('E')], 3n);
    expect(store.recentEvents(old, { revision: 3n }), 'E is in memory').to.have.length(1);
    expect(store.recentEvents(old, { revision: 2n, position: asOf }), 'D was pushed out').to.equal(undefined);
  });

  it("another process's appends show up in recentEvents once delivered, in revision order", async () => {
    for (let round = 0; round < 10; round++) {
      const s = `${cat}-${round}`;
      await store.append(s, [ev('First')], 'no_stream');
      const sub = watch(store.subscribeToStream(s, { afterRevision: 0n }), 'End');
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          new Promise((r) => setTimeout(r, i % 4)).then(() =>
            (i % 3 ? other : store).append(s, [ev(`E${i}`), ev(`F${i}`)], 'any'),
          ),
        ),
      );
      await other.append(s, [ev('End')], 'any');
      await sub.done;
      const stored = await store.readStream(s, { fromRevision: 1n });
      expect(stored).to.have.length(25);
      expect(store.recentEvents(s, { revision: 0n })?.map(plain), `round ${round}`).to.deep.equal(
        stored.map(plain),
      );
      expect(sub.seen.map(plain), `round ${round}`).to.deep.equal(stored.map(plain));
    }
  });

  it('after deleteStream, recentEvents and new subscriptions no longer return the deleted events', async () => {
    const s = `${cat}-gone`;
    await delivered(store, (await store.append(s, [ev('A'), ev('B')], 'no_stream')).position);
    const asOf = store.recentPosition()!;
    expect(store.recentEvents(s, { revision: -1n })).to.have.length(2);
    await store.deleteStream(s);
    expect(store.recentEvents(s, { revision: -1n })).to.equal(undefined);
    expect(store.recentEvents(s, { revision: -1n, position: asOf })).to.deep.equal([]);
    const sub = watch(store.subscribeToStream(s), 'Reborn');
    await store.append(s, [ev('Reborn')], 'no_stream');
    await sub.done;
    expect(sub.seen.map((e) => [e.type, e.revision])).to.deep.equal([['Reborn', 0n]]);
    expect(store.recentEvents(s, { revision: -1n })?.map((e) => e.type)).to.deep.equal(['Reborn']);
  });

  it('a stream another process deletes is forgotten here once its notice arrives, and a re-created one is never served mixed', async () => {
    const s = `${cat}-gone-elsewhere`;
    await delivered(store, (await other.append(s, [ev('Secret')], 'no_stream')).position);
    expect(store.recentEvents(s, { revision: -1n })?.map((e) => e.type)).to.deep.equal(['Secret']);
    await other.deleteStream(s);
    await until('the deletion to be heard', () => store.recentEvents(s, { revision: -1n }) === undefined);
    const replay = watch(store.subscribeToStream(s), 'New');
    await delivered(store, (await other.append(s, [ev('New')], 'no_stream')).position);
    await replay.done;
    expect(replay.seen.map((e) => e.type)).to.deep.equal(['New']);
    expect(store.recentEvents(s, { revision: -1n })?.map((e) => e.type)).to.deep.equal(['New']);
  });

  it('while two processes append to several streams, subscriptions started at random moments each see every later event of their stream once, in order', async () => {
    const streamsOf = Array.from({ length: 5 }, (_, i) => `${cat}-${i}`);
    const stores = [store, other];
    const started: { stream: string; after: bigint; seen: RecordedEvent[] }[] = [];
    let writing = true;
    // the writes are paced by the subscriptions started (ten writes per subscription), not by the
    // clock, so on a busy machine just as many subscriptions start among them
    const opened: (() => void)[] = [];
    const gates = Array.from({ length: 41 }, () => new Promise<void>((r) => opened.push(r)));
    opened[0]!();
    const writes = Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        gates[Math.floor(i / 10)]!.then(() => new Promise((r) => setTimeout(r, Math.random() * 20))).then(
          () =>
            stores[i % 2]!.append(
              streamsOf[i % streamsOf.length]!,
              Array.from({ length: 1 + (i % 3) }, (_, k) => ev(`W${i}.${k}`)),
              'any',
            ),
        ),
      ),
    ).finally(() => (writing = false));
    while (writing) {
      const stream = streamsOf[Math.floor(Math.random() * streamsOf.length)]!;
      const st = stores[Math.floor(Math.random() * 2)]!;
      const current = (await st.streamRevision(stream)) ?? -1n;
      // mostly from the current revision, as a client resuming would; some from further back
      const back = started.length % 4 === 3 ? BigInt(Math.floor(Math.random() * 30)) : 0n;
      const after = current - back < -1n ? -1n : current - back;
      const seen: RecordedEvent[] = [];
      subs.push(st.subscribeToStream(stream, { afterRevision: after }).subscribe((e) => seen.push(e)));
      started.push({ stream, after, seen });
      opened[started.length]?.();
      await new Promise((r) => setTimeout(r, Math.random() * 8));
    }
    await writes;
    const final = new Map(
      await Promise.all(streamsOf.map(async (s) => [s, await store.readStream(s)] as const)),
    );
    for (const sub of started) {
      const last = final.get(sub.stream)!.at(-1)!.revision;
      await until(
        `${sub.stream} after ${sub.after} to reach ${last}`,
        () => (sub.seen.at(-1)?.revision ?? sub.after) >= last,
      );
    }
    for (const s of subs.splice(2)) s.unsubscribe();
    expect(started.length).to.be.at.least(39);
    for (const sub of started) {
      const expected = final.get(sub.stream)!.filter((e) => e.revision > sub.after);
      expect(
        sub.seen.map((e) => `${e.revision}:${e.id}`),
        `${sub.stream} after ${sub.after}`,
      ).to.deep.equal(expected.map((e) => `${e.revision}:${e.id}`));
    }
  });
});

describe('Postgres event store: replay reads', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;
  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 8);
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
  });
  after(async () => {
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  const replayed = async (stream: string, after: bigint) => {
    const out: { type: string; revision: bigint; data: unknown; stored: string }[] = [];
    for await (const page of store.readStreamReplay(stream, after))
      for (const e of page)
        out.push({ type: e.type, revision: e.revision, data: e.data, stored: e.storedData });
    return out;
  };

  it('pages a long stream: exactly the events after the revision, in order, with their stored data', async () => {
    const s = `replay-${randomUUID()}`;
    await appendMany(store, s, 1234, 'E', 100);
    const stored = await store.readStream(s);
    for (const after of [-1n, 0n, 49n, 50n, 299n, 1000n, 1232n, 1233n, 5000n]) {
      const got = await replayed(s, after);
      const want = stored.filter((e) => e.revision > after);
      expect(
        got.map((e) => [e.type, e.revision, e.data]),
        `after ${after}`,
      ).to.deep.equal(want.map((e) => [e.type, e.revision, e.data]));
      for (const e of got) expect(JSON.parse(e.stored)).to.deep.equal(e.data);
    }
    expect(await replayed(`replay-${randomUUID()}`, -1n)).to.deep.equal([]);
  });

  it('while the stream grows, returns a gapless prefix that reaches at least where it was at the start', async () => {
    const s = `replay-${randomUUID()}`;
    await appendMany(store, s, 600, 'E', 100);
    let writing = true;
    const writes = (async () => {
      for (let i = 0; i < 40; i++) await store.append(s, [ev(`W${i}`)], 'any');
      writing = false;
    })();
    const rounds: number[] = [];
    while (writing) {
      const got = await replayed(s, -1n);
      expect(got.map((e) => e.revision)).to.deep.equal(got.map((_, i) => BigInt(i)));
      expect(got.length).to.be.at.least(600);
      rounds.push(got.length);
    }
    await writes;
    expect(rounds.length).to.be.greaterThan(0);
    expect((await replayed(s, -1n)).length).to.equal(640);
  });

  it('reads the data fields asked for, as text, with each event', async () => {
    const s = `replay-${randomUUID()}`;
    const data = [
      { turnId: 't-1', attempt: 2, nested: { turnId: 'inner' } },
      {},
      { turnId: null, attempt: { n: 1 } },
    ];
    await store.append(
      s,
      data.map((d, i) => ev(`E${i}`, d)),
      'no_stream',
    );
    const got: ReplayedEvent[] = [];
    for await (const page of store.readStreamReplay(s, -1n, { fields: ['turnId', 'attempt'] }))
      got.push(...page);
    expect(got.map((e) => e.data)).to.deep.equal(data);
    expect(got.map((e) => e.fields)).to.deep.equal([
      { turnId: 't-1', attempt: '2' },
      { turnId: null, attempt: null },
      { turnId: null, attempt: '{"n": 1}' },
    ]);
    const plain: ReplayedEvent[] = [];
    for await (const page of store.readStreamReplay(s, 1n)) plain.push(...page);
    expect(plain.map((e) => [e.type, e.fields])).to.deep.equal([['E2', {}]]);
  });
});
