/**
 * The EventStore contract: every adapter passes this same suite against its real service.
 * Each test uses a fresh category, so suites can share one store.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom, take, toArray, type Observable } from 'rxjs';
import { ConcurrencyError } from '../../src/errors.js';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/events/event-store.js';

export interface StoreUnderTest {
  store: EventStore;
  cleanup: () => Promise<void>;
}

const freshCategory = () => `c${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export function ev(type: string, data: Record<string, unknown> = {}, actor = 'system'): NewEvent {
  const id = randomUUID();
  return { id, type, data, metadata: { correlationId: id, causationId: id, actor, version: 1 } };
}

function collect(obs: Observable<RecordedEvent>, n: number, timeoutMs = 30_000): Promise<RecordedEvent[]> {
  return Promise.race([
    firstValueFrom(obs.pipe(take(n), toArray())),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${n} events`)), timeoutMs).unref(),
    ),
  ]);
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

export function eventStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`EventStore contract: ${name}`, function () {
    let sut: StoreUnderTest;
    let store: EventStore;
    let cat: string;
    before(async function () {
      sut = await make();
      store = sut.store;
    });
    after(async () => sut && (await sut.cleanup()));
    beforeEach(() => (cat = freshCategory()));

    describe('append', () => {
      it('numbers a new stream from revision 0 and returns the last revision and position', async () => {
        const s = `${cat}-a`;
        const r = await store.append(s, [ev('A'), ev('B')], 'no_stream');
        expect(r.nextExpectedRevision).to.equal(1n);
        const read = await store.readStream(s);
        expect(read.map((e) => [e.type, e.revision])).to.deep.equal([
          ['A', 0n],
          ['B', 1n],
        ]);
        expect(read[1]!.position).to.equal(r.position);
        expect(read[0]!.position < read[1]!.position).to.equal(true);
      });

      it('enforces no_stream, exists, any and a numeric revision', async () => {
        const s = `${cat}-x`;
        expect(await rejects(store.append(s, [ev('A')], 'exists'))).to.be.instanceOf(ConcurrencyError);
        expect(await rejects(store.append(s, [ev('A')], 0n))).to.be.instanceOf(ConcurrencyError);
        await store.append(s, [ev('A')], 'no_stream');
        expect(await rejects(store.append(s, [ev('B')], 'no_stream'))).to.be.instanceOf(ConcurrencyError);
        await store.append(s, [ev('B')], 'exists');
        const stale = (await rejects(store.append(s, [ev('C')], 0n))) as ConcurrencyError;
        expect(stale).to.be.instanceOf(ConcurrencyError);
        expect(stale.stream).to.equal(s);
        expect(stale.actual).to.equal('1');
        await store.append(s, [ev('C')], 1n);
        await store.append(s, [ev('D')], 'any');
        expect((await store.readStream(s)).map((e) => e.type)).to.deep.equal(['A', 'B', 'C', 'D']);
      });

      it('writes nothing of a batch whose expected revision fails', async () => {
        const s = `${cat}-y`;
        await store.append(s, [ev('A')], 'no_stream');
        await rejects(store.append(s, [ev('B'), ev('C'), ev('D')], 5n));
        expect(await store.readStream(s)).to.have.length(1);
        expect(await store.streamRevision(s)).to.equal(0n);
      });

      it('round-trips data and the standard metadata', async () => {
        const s = `${cat}-m`;
        const e: NewEvent = {
          id: randomUUID(),
          type: 'Thing',
          data: { text: 'héllo "quoted" \\ back', n: 3, nested: { list: [1, null, true] } },
          metadata: {
            correlationId: randomUUID(),
            causationId: randomUUID(),
            actor: 'user-1',
            commandId: randomUUID(),
            version: 2,
          },
        };
        await store.append(s, [e], 'any');
        const [got] = await store.readStream(s);
        expect(got!.id).to.equal(e.id);
        expect(got!.data).to.deep.equal(e.data);
        expect(got!.metadata).to.deep.include(e.metadata);
        expect(got!.streamName).to.equal(s);
        expect(got!.createdAt).to.be.instanceOf(Date);
      });

      it('lets concurrent appends with the same expected revision win exactly once', async () => {
        const s = `${cat}-race`;
        await store.append(s, [ev('Start')], 'no_stream');
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.append(s, [ev(`Try${i}`)], 0n)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
        for (const r of results)
          if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(ConcurrencyError);
        expect(await store.readStream(s)).to.have.length(2);
      });
    });

    describe('read', () => {
      it('reads a stream forwards and backwards from a revision with a limit', async () => {
        const s = `${cat}-r`;
        await store.append(
          s,
          ['A', 'B', 'C', 'D', 'E'].map((t) => ev(t)),
          'no_stream',
        );
        const fwd = await store.readStream(s, { fromRevision: 1n, maxCount: 2 });
        expect(fwd.map((e) => e.type)).to.deep.equal(['B', 'C']);
        const back = await store.readStream(s, { direction: 'backwards', fromRevision: 3n, maxCount: 2 });
        expect(back.map((e) => e.type)).to.deep.equal(['D', 'C']);
        const last = await store.readStream(s, { direction: 'backwards', maxCount: 1 });
        expect(last.map((e) => e.type)).to.deep.equal(['E']);
        expect(await store.readStream(`${cat}-missing`)).to.deep.equal([]);
        expect(await store.streamRevision(`${cat}-missing`)).to.equal(undefined);
      });

      it('reads $all after a position, filtered by category and by event type', async () => {
        const before = await store.headPosition();
        const other = freshCategory();
        await store.append(`${cat}-1`, [ev('Alpha'), ev('Beta')], 'any');
        await store.append(`${other}-1`, [ev('Alpha')], 'any');
        await store.append(`${cat}-2`, [ev('Gamma')], 'any');
        const byCat = await store.readAll({ after: before, filter: { categories: [cat] } });
        expect(byCat.map((e) => e.type)).to.deep.equal(['Alpha', 'Beta', 'Gamma']);
        const byType = await store.readAll({
          after: before,
          filter: { categories: [cat, other], eventTypes: ['Alpha'] },
        });
        expect(byType.map((e) => e.streamName)).to.deep.equal([`${cat}-1`, `${other}-1`]);
        const page = await store.readAll({
          after: byCat[0]!.position,
          maxCount: 1,
          filter: { categories: [cat] },
        });
        expect(page.map((e) => e.type)).to.deep.equal(['Beta']);
        expect((await store.headPosition()) >= byCat[2]!.position).to.equal(true);
      });
    });

    describe('subscribe', () => {
      it('catches up $all from a position, then follows live, in order, once each', async () => {
        await store.append(`${cat}-1`, [ev('Old')], 'any');
        const head = await store.headPosition();
        await store.append(`${cat}-1`, [ev('A')], 'any');
        const got = collect(store.subscribeToAll({ after: head, filter: { categories: [cat] } }), 4);
        await store.append(`${cat}-2`, [ev('B')], 'any');
        await new Promise((r) => setTimeout(r, 20));
        await store.append(`${cat}-1`, [ev('C'), ev('D')], 'any');
        const events = await got;
        expect(events.map((e) => e.type)).to.deep.equal(['A', 'B', 'C', 'D']);
      });

      it('subscribes to one stream after a revision', async () => {
        const s = `${cat}-s`;
        await store.append(s, [ev('A'), ev('B')], 'no_stream');
        const got = collect(store.subscribeToStream(s, { afterRevision: 0n }), 3);
        await store.append(`${cat}-other`, [ev('Noise')], 'any');
        await store.append(s, [ev('C'), ev('D')], 1n);
        const events = await got;
        expect(events.map((e) => [e.type, e.revision])).to.deep.equal([
          ['B', 1n],
          ['C', 2n],
          ['D', 3n],
        ]);
      });

      it('rings the head doorbell after an append', async () => {
        const start = await store.headPosition();
        const rung = firstValueFrom(store.watchHead().pipe(filter((p) => p > start)));
        const r = await store.append(`${cat}-bell`, [ev('A')], 'any');
        expect((await rung) >= r.position).to.equal(true);
      });

      it('delivers every event exactly once, streams in revision order, under 8 writers x 500 appends', async function () {
        this.timeout(240_000);
        const writers = 8;
        const perWriter = 500;
        const streamsN = 12;
        const head = await store.headPosition();
        const seen = collect(
          store.subscribeToAll({ after: head, filter: { categories: [cat] } }),
          writers * perWriter,
          200_000,
        );
        const writer = async (w: number) => {
          for (let i = 0; i < perWriter; i++) {
            const s = `${cat}-${(w * 7 + i) % streamsN}`;
            for (;;) {
              const rev = await store.streamRevision(s);
              try {
                await store.append(s, [ev('W', { w, i })], rev === undefined ? 'no_stream' : rev);
                break;
              } catch (err) {
                if (!(err instanceof ConcurrencyError)) throw err;
              }
            }
          }
        };
        await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
        const events = await seen;
        expect(new Set(events.map((e) => e.id)).size).to.equal(writers * perWriter);
        for (let i = 1; i < events.length; i++)
          expect(events[i]!.position > events[i - 1]!.position).to.equal(true);
        const perStream = new Map<string, bigint[]>();
        for (const e of events)
          perStream.set(e.streamName, [...(perStream.get(e.streamName) ?? []), e.revision]);
        for (const [s, revs] of perStream) {
          expect(revs, s).to.deep.equal(revs.map((_, i) => BigInt(i)));
        }
        const perWriterOrder = new Map<number, number[]>();
        for (const e of events) {
          const { w, i } = e.data as { w: number; i: number };
          perWriterOrder.set(w, [...(perWriterOrder.get(w) ?? []), i]);
        }
        for (const [, order] of perWriterOrder) expect(order).to.deep.equal(order.map((_, i) => i));
      });
    });

    describe('delete', () => {
      it('hard-deletes a stream; a later no_stream append starts it afresh', async () => {
        const s = `${cat}-d`;
        await store.append(s, [ev('A'), ev('B')], 'no_stream');
        await store.deleteStream(s);
        expect(await store.readStream(s)).to.deep.equal([]);
        expect(await store.streamRevision(s)).to.equal(undefined);
        expect(await store.readAll({ filter: { categories: [cat] } })).to.deep.equal([]);
        await store.append(s, [ev('C')], 'no_stream');
        expect((await store.readStream(s)).map((e) => e.type)).to.deep.equal(['C']);
      });

      it('deletes only at the expected revision: a stream appended to since stays whole', async () => {
        const s = `${cat}-d`;
        await store.append(s, [ev('A'), ev('B')], 'no_stream');
        expect(await rejects(store.deleteStream(s, 0n))).to.be.instanceOf(ConcurrencyError);
        expect((await store.readStream(s)).map((e) => e.type)).to.deep.equal(['A', 'B']);
        await store.deleteStream(s, 1n);
        expect(await store.streamRevision(s)).to.equal(undefined);
      });
    });

    describe('truncate', () => {
      const revisions = (events: readonly RecordedEvent[]) => events.map((e) => e.revision);

      it('drops the events before a revision and keeps the stream revision for appends', async () => {
        const s = `${cat}-t`;
        await store.append(s, [ev('A'), ev('B'), ev('C'), ev('D'), ev('E')], 'no_stream');
        await store.truncateBefore(s, 3n);
        expect(revisions(await store.readStream(s))).to.deep.equal([3n, 4n]);
        expect(revisions(await store.readStream(s, { fromRevision: 1n, maxCount: 1 }))).to.deep.equal([3n]);
        const [last] = await store.readStream(s, { direction: 'backwards', maxCount: 1 });
        expect(last!.revision).to.equal(4n);
        expect(await store.streamRevision(s)).to.equal(4n);
        expect(await rejects(store.append(s, [ev('X')], 2n))).to.be.instanceOf(ConcurrencyError);
        await store.append(s, [ev('F')], 4n);
        expect((await store.readAll({ filter: { categories: [cat] } })).map((e) => e.type)).to.deep.equal([
          'D',
          'E',
          'F',
        ]);
        expect(revisions(await collect(store.subscribeToStream(s), 3))).to.deep.equal([3n, 4n, 5n]);
        await store.truncateBefore(s, 1n); // never un-drops
        expect(revisions(await store.readStream(s))).to.deep.equal([3n, 4n, 5n]);
      });

      it('subscribes to and replays a long truncated stream from its first kept event', async function () {
        const s = `${cat}-t`;
        await store.append(
          s,
          Array.from({ length: 1400 }, (_, i) => ev('N', { i })),
          'no_stream',
        );
        await store.truncateBefore(s, 1300n);
        const kept = Array.from({ length: 100 }, (_, i) => BigInt(1300 + i));
        expect(revisions(await collect(store.subscribeToStream(s), 100))).to.deep.equal(kept);
        if (!store.readStreamReplay) return;
        const got: bigint[] = [];
        for await (const page of store.readStreamReplay!(s, -1n)) got.push(...page.map((e) => e.revision));
        expect(got).to.deep.equal(kept);
      });
    });
  });
}
