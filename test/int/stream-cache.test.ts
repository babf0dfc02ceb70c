/**
 * StreamCache over the Postgres event store: reads equal the store's, stay current with appends by
 * this process and (once delivered) by others, and cost no query, or a short one, when they can.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Subscription } from 'rxjs';
import type { EventStore } from '../../src/events/event-store.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { RECENT_EVENTS } from '../../src/events/postgres/tail-reader.js';
import { StreamCache } from '../../src/events/stream-cache.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { loggedPool, type QueryLog } from '../support/query-log.js';
import { appendMany, delivered, following, plain } from '../support/store-memory.js';
import { ev } from './event-store.contract.js';

describe('StreamCache (Postgres event store)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let log: QueryLog;
  let store: PgEventStore;
  /** another process on the same database */
  let otherPool: pg.Pool;
  let other: PgEventStore;
  let follows: Subscription[];
  let cat: string;
  before(async () => {
    db = await freshDatabase();
    ({ pool, log } = loggedPool(db.url, 8));
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
    otherPool = testPool(db.url, 4);
    other = new PgEventStore(otherPool, db.url);
    follows = [await following(store)];
  });
  after(async () => {
    for (const s of follows ?? []) s.unsubscribe();
    await store?.close();
    await other?.close();
    await pool?.end();
    await otherPool?.end();
    await db?.drop();
  });
  beforeEach(() => (cat = `sc${randomUUID().replace(/-/g, '').slice(0, 12)}`));

  /** what the store has, to compare a cached read with */
  const stored = async (stream: string, from: EventStore = store) =>
    (await from.readStream(stream)).map(plain);
  /** the reads of es_events a cached read of `stream` issued */
  /** appends enough to other streams that the store's memory no longer holds what came before */
  const pushOutOfMemory = () => appendMany(store, `${cat}-fill`, 2 * RECENT_EVENTS);
  const readsOf = async (cache: StreamCache, stream: string) => {
    log.clear();
    const events = await cache.read(stream);
    return { events, reads: log.reading('es_events') };
  };

  it("reads what the store reads, also after this process's and another process's appends", async () => {
    const cache = new StreamCache(store);
    const s = `${cat}-a`;
    expect(await cache.read(s)).to.deep.equal([]);
    await store.append(s, [ev('A'), ev('B')], 'no_stream');
    expect((await cache.read(s)).map(plain)).to.deep.equal(await stored(s));
    await store.append(s, [ev('C')], 1n);
    expect((await cache.read(s)).map(plain)).to.deep.equal(await stored(s));
    const theirs = await other.append(s, [ev('D'), ev('E')], 2n);
    await delivered(store, theirs.position);
    expect((await cache.read(s)).map((e) => e.type)).to.deep.equal(['A', 'B', 'C', 'D', 'E']);
    expect((await cache.read(s)).map(plain)).to.deep.equal(await stored(s));
    await store.append(s, [ev('F')], 4n);
    await delivered(store, (await other.append(s, [ev('G')], 5n)).position);
    expect((await cache.read(s)).map(plain)).to.deep.equal(await stored(s));
  });

  it('a read given a revision reaches it even when the memory trails (a write not delivered yet)', async () => {
    const cache = new StreamCache(store);
    const s = `${cat}-a`;
    await delivered(store, (await store.append(s, [ev('A')], 'no_stream')).position);
    expect(await cache.read(s)).to.have.length(1);
    // read at once, before the store's memory has heard of it (as a turn reads right after its own write)
    const written = await other.append(s, [ev('B'), ev('C')], 0n);
    const events = await cache.read(s, written.nextExpectedRevision);
    expect(events.map((e) => e.type)).to.deep.equal(['A', 'B', 'C']);
    await delivered(store, written.position);
    expect((await cache.read(s)).map(plain)).to.deep.equal(await stored(s)); // nothing twice
  });

  it('an unchanged stream read again costs no query, nor does one appended to since', async () => {
    const cache = new StreamCache(store);
    const s = `${cat}-a`;
    await store.append(s, [ev('A'), ev('B')], 'no_stream');
    await pushOutOfMemory();
    expect((await readsOf(cache, s)).reads).to.have.length(1);
    const again = await readsOf(cache, s);
    expect(again.reads).to.deep.equal([]);
    expect(again.events.map(plain)).to.deep.equal(await stored(s));
    await appendMany(store, `${cat}-others`, 50);
    expect((await readsOf(cache, s)).reads, 'after appends to other streams').to.deep.equal([]);
    await store.append(s, [ev('C')], 1n);
    const appended = await readsOf(cache, s);
    expect(appended.reads, 'after an append to it').to.deep.equal([]);
    expect(appended.events.map(plain)).to.deep.equal(await stored(s));
  });

  it('a long stream appended to costs a short read from the first new revision, or none', async () => {
    const cache = new StreamCache(store);
    const s = `${cat}-long`;
    await appendMany(store, s, 400);
    await pushOutOfMemory();
    expect((await readsOf(cache, s)).reads).to.have.length(1);
    await store.append(s, [ev('Near')], 'any');
    const near = await readsOf(cache, s);
    expect(near.reads, 'the new event is in memory').to.deep.equal([]);
    expect(near.events).to.have.length(401);
    await store.append(s, [ev('Far1'), ev('Far2'), ev('Far3')], 'any');
    await pushOutOfMemory();
    const far = await readsOf(cache, s);
    expect(far.reads.map((q) => q.values)).to.deep.equal([[s, '401']]);
    expect(far.events.map(plain)).to.deep.equal(await stored(s));
  });

  it('without the store following the head (no memory), a read after appends is a short read', async () => {
    const bare = new PgEventStore(pool, db.url); // nothing subscribed: it keeps no recent events
    try {
      const cache = new StreamCache(bare);
      const s = `${cat}-long`;
      await appendMany(store, s, 300);
      expect((await readsOf(cache, s)).reads.map((q) => q.values)).to.deep.equal([[s]]);
      await store.append(s, [ev('X')], 'any');
      const next = await readsOf(cache, s);
      expect(next.reads.map((q) => q.values)).to.deep.equal([[s, '300']]);
      expect(next.events.map(plain)).to.deep.equal(await stored(s));
    } finally {
      await bare.close();
    }
  });

  it('forget: the next read of the stream goes to the store', async () => {
    const cache = new StreamCache(store);
    const s = `${cat}-a`;
    await store.append(s, [ev('A'), ev('B')], 'no_stream');
    await pushOutOfMemory();
    await cache.read(s);
    expect((await readsOf(cache, s)).reads, 'kept').to.deep.equal([]);
    cache.forget(s);
    const afresh = await readsOf(cache, s);
    expect(afresh.reads.map((q) => q.values)).to.deep.equal([[s]]);
    expect(afresh.events.map(plain)).to.deep.equal(await stored(s));
    await store.deleteStream(s);
    cache.forget(s);
    expect(await cache.read(s)).to.deep.equal([]);
    await store.append(s, [ev('Again')], 'no_stream');
    expect((await cache.read(s)).map((e) => [e.type, e.revision])).to.deep.equal([['Again', 0n]]);
  });

  it('keeps at most maxEvents: the least recently read streams go first, a bigger stream is not kept', async () => {
    const cache = new StreamCache(store, 10);
    const [a, b, c, big] = ['a', 'b', 'c', 'big'].map((n) => `${cat}-${n}`) as [
      string,
      string,
      string,
      string,
    ];
    for (const s of [a, b, c]) await appendMany(store, s, 4);
    await appendMany(store, big, 11);
    await pushOutOfMemory(); // so a stream not kept costs a query
    const isKept = async (s: string) => (await readsOf(cache, s)).reads.length === 0;
    await cache.read(a);
    await cache.read(b);
    await cache.read(a); // a is now read more lately than b
    await cache.read(c); // 12 events: b goes
    expect(await isKept(a), 'a').to.equal(true);
    expect(await isKept(c), 'c').to.equal(true);
    expect(await isKept(b), 'b').to.equal(false); // read again: a, read longest ago, goes
    expect(await isKept(c), 'c').to.equal(true);
    expect(await isKept(b), 'b').to.equal(true);
    expect(await isKept(a), 'a').to.equal(false); // and c goes
    expect(await isKept(big), 'big').to.equal(false);
    expect(await isKept(big), 'big, read again').to.equal(false);
    expect(await isKept(b), 'b, after big').to.equal(true);
    expect(await isKept(a), 'a, after big').to.equal(true);
    const read = await cache.read(big);
    expect(read.map(plain)).to.deep.equal(await stored(big));
  });
});
