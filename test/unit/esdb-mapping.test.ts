/**
 * The EventStoreDB adapter's mapping, without a server: expected revisions, errors, events,
 * positions, filters, read options, deleted-event hiding, the scan memo, and (against a fake
 * client) paging of `$all` and subscriptions.
 */
import {
  ANY,
  BACKWARDS,
  DeadlineExceededError,
  END,
  EVENT_TYPE,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  STREAM_NAME,
  AccessDeniedError,
  StreamDeletedError as ClientStreamDeletedError,
  StreamNotFoundError,
  UnavailableError as ClientUnavailableError,
  WrongExpectedVersionError,
  type EventStoreDBClient,
  type ReadAllOptions as ClientReadAllOptions,
} from '@eventstore/db-client';
import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import { EventEmitter } from 'node:events';
import {
  ConcurrencyError,
  DependencyUnavailableError,
  IllegalStateError,
  StreamDeletedError,
  ValidationError,
} from '../../src/errors.js';
import type { NewEvent } from '../../src/events/event-store.js';
import { toProblem } from '../../src/http/problem.js';
import { planFilter } from '../../src/events/esdb/all-filter.js';
import { AllReader } from '../../src/events/esdb/all-reader.js';
import { EsdbEventStore } from '../../src/events/esdb/esdb-event-store.js';
import { toEsdbConnectionString } from '../../src/events/esdb/connection-string.js';
import {
  isMissingStream,
  mapAppendError,
  mapCommonError,
  mapSubscriptionError,
} from '../../src/events/esdb/error-mapping.js';
import {
  asJsonObject,
  isSystemEvent,
  toEventData,
  toRecordedEvent,
  type ClientRecordedEvent,
  type ClientResolvedEvent,
} from '../../src/events/esdb/event-mapping.js';
import { formatActual, toClientExpectedRevision } from '../../src/events/esdb/expected-revision.js';
import {
  NO_SERVER_POSITION,
  UNKNOWN_POSITION,
  positionOf,
  readFrom,
  toClientPosition,
} from '../../src/events/esdb/positions.js';
import { toClientReadStreamOptions } from '../../src/events/esdb/read-options.js';
import { BEFORE_START, EmptyRanges, filterKey } from '../../src/events/esdb/scan-memo.js';
import { watchHead } from '../../src/events/esdb/head-watch.js';
import { subscribeAll, subscribeStream } from '../../src/events/esdb/subscriptions.js';
import {
  VisibleEvents,
  raisedTruncation,
  truncateBefore,
  truncateStream,
} from '../../src/events/esdb/truncation.js';

const BIG = 2n ** 60n + 7n; // beyond Number.MAX_SAFE_INTEGER: must survive as a bigint

function recorded(over: Partial<ClientRecordedEvent> = {}): ClientRecordedEvent {
  return {
    streamId: 'chat-1',
    id: '6f1c1a52-3d2b-4c53-9d43-0c0a3bb1f001',
    revision: 3n,
    type: 'UserMessagePosted',
    created: new Date('2026-01-02T03:04:05.000Z'),
    data: { content: 'hi' },
    metadata: { correlationId: 'c', causationId: 'k', actor: 'system', version: 1 },
    position: { commit: 100n, prepare: 100n },
    ...over,
  };
}

function at(position: bigint, over: Partial<ClientRecordedEvent> = {}): ClientResolvedEvent {
  return { event: recorded({ position: { commit: position, prepare: position }, ...over }) };
}

function wrongVersion(
  expected: bigint | 'no_stream' | 'stream_exists' | 'any',
  current: bigint | 'no_stream',
) {
  return new WrongExpectedVersionError(undefined, { streamName: 'chat-1', expected, current });
}

describe('ESDB adapter mapping', () => {
  describe('expected revision', () => {
    it('maps every ExpectedRevision option to the client constant or number', () => {
      expect(toClientExpectedRevision('no_stream')).to.equal(NO_STREAM);
      expect(toClientExpectedRevision('exists')).to.equal(STREAM_EXISTS);
      expect(toClientExpectedRevision('any')).to.equal(ANY);
      expect(toClientExpectedRevision(0n)).to.equal(0n);
      expect(toClientExpectedRevision(BIG)).to.equal(BIG);
    });

    it('refuses a negative revision before it reaches the server', () => {
      expect(() => toClientExpectedRevision(-1n)).to.throw(ValidationError);
    });

    it("spells a missing stream 'no_stream' whichever way the client reports it", () => {
      expect(formatActual('no_stream')).to.equal('no_stream');
      expect(formatActual(-1n)).to.equal('no_stream');
      expect(formatActual(undefined)).to.equal('no_stream');
      expect(formatActual(7n)).to.equal('7');
    });
  });

  describe('errors', () => {
    it('turns WrongExpectedVersion into a ConcurrencyError naming stream, expected and actual', () => {
      const cause = wrongVersion(2n, 4n);
      const err = mapAppendError(cause, 'chat-1', 2n) as ConcurrencyError;
      expect(err).to.be.instanceOf(ConcurrencyError);
      expect(err.code).to.equal('concurrency_conflict');
      expect([err.stream, err.expected, err.actual]).to.deep.equal(['chat-1', '2', '4']);
      expect(err.cause).to.equal(cause);
    });

    it('reports the expected revision we asked for, in the port vocabulary', () => {
      const cases = [
        ['exists', 'stream_exists', 'no_stream', 'exists', 'no_stream'],
        ['no_stream', 'no_stream', 0n, 'no_stream', '0'],
        ['any', 'any', 5n, 'any', '5'],
      ] as const;
      for (const [ours, theirs, current, expected, actual] of cases) {
        const err = mapAppendError(wrongVersion(theirs, current), 'chat-1', ours) as ConcurrencyError;
        expect([err.expected, err.actual]).to.deep.equal([expected, actual]);
      }
    });

    it('maps a deleted stream on append: exists -> ConcurrencyError, otherwise StreamDeletedError', () => {
      const deleted = ClientStreamDeletedError.fromStreamName('chat-1');
      const conflict = mapAppendError(deleted, 'chat-1', 'exists') as ConcurrencyError;
      expect(conflict).to.be.instanceOf(ConcurrencyError);
      expect([conflict.expected, conflict.actual]).to.deep.equal(['exists', 'no_stream']);
      for (const expected of ['no_stream', 'any', 3n] as const) {
        const gone = mapAppendError(deleted, 'chat-1', expected) as StreamDeletedError;
        expect(gone).to.be.instanceOf(StreamDeletedError);
        expect(gone.stream).to.equal('chat-1');
      }
    });

    it('treats stream-not-found and stream-deleted as an empty read, nothing else', () => {
      expect(isMissingStream(new StreamNotFoundError(undefined, 'chat-1'))).to.equal(true);
      expect(isMissingStream(ClientStreamDeletedError.fromStreamName('chat-1'))).to.equal(true);
      expect(isMissingStream(wrongVersion(1n, 2n))).to.equal(false);
      expect(isMissingStream(new Error('boom'))).to.equal(false);
    });

    it("maps connection trouble to DependencyUnavailableError('event store') and keeps the cause", () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2113'), {
        code: 'ECONNREFUSED',
      });
      const troubles = [
        new ClientUnavailableError(undefined, 'no connection'),
        new DeadlineExceededError(),
        new Error('Failed to discover after 10 attempts.'),
        refused,
      ];
      for (const trouble of troubles) {
        const err = mapCommonError(trouble) as DependencyUnavailableError;
        expect(err, trouble.message).to.be.instanceOf(DependencyUnavailableError);
        expect(err.dependency).to.equal('event store');
        expect(err.cause).to.equal(trouble);
        expect(toProblem(err)).to.include({ status: 503, dependency: 'event store' });
      }
      const onAppend = mapAppendError(new ClientUnavailableError(), 's-1', 'any');
      expect(onAppend).to.be.instanceOf(DependencyUnavailableError);
    });

    it('passes other errors on unchanged', () => {
      const denied = new AccessDeniedError();
      const bug = new TypeError('x is undefined');
      expect(mapCommonError(denied)).to.equal(denied);
      expect(mapAppendError(bug, 's-1', 'any')).to.equal(bug);
    });

    it('maps a deleted stream under a stream subscription to StreamDeletedError', () => {
      const err = mapSubscriptionError(ClientStreamDeletedError.fromStreamName('chat-1'), 'chat-1');
      expect(err).to.be.instanceOf(StreamDeletedError);
      expect(mapSubscriptionError(new ClientUnavailableError())).to.be.instanceOf(DependencyUnavailableError);
    });
  });

  describe('events', () => {
    const event: NewEvent = {
      id: '0b8f2c1e-6a8e-4c55-8a3c-1d2e3f4a5b6c',
      type: 'ChatCreated',
      data: { chatId: 'c1', nested: { list: [1, null, true] } },
      metadata: {
        correlationId: 'corr',
        causationId: 'cause',
        actor: 'user-1',
        commandId: 'cmd',
        version: 2,
      },
    };

    it('writes data and metadata as JSON under our event id', () => {
      const data = toEventData(event);
      expect(data).to.deep.equal({ ...event, contentType: 'application/json' });
    });

    it('reads a recorded event with bigint revision and position and its creation time', () => {
      const e = toRecordedEvent(at(BIG, { revision: BIG - 1n }));
      expect(e).to.deep.equal({
        id: '6f1c1a52-3d2b-4c53-9d43-0c0a3bb1f001',
        type: 'UserMessagePosted',
        data: { content: 'hi' },
        metadata: { correlationId: 'c', causationId: 'k', actor: 'system', version: 1 },
        streamName: 'chat-1',
        revision: BIG - 1n,
        position: BIG,
        createdAt: new Date('2026-01-02T03:04:05.000Z'),
      });
      expect(typeof e.revision).to.equal('bigint');
    });

    it('refuses a resolved event without an event', () => {
      expect(() => toRecordedEvent({ commitPosition: 5n })).to.throw(IllegalStateError);
    });

    it('keeps non-object payloads instead of dropping them', () => {
      expect(asJsonObject(undefined)).to.deep.equal({});
      expect(asJsonObject(new TextEncoder().encode('{"a":1}'))).to.deep.equal({ a: 1 });
      expect(asJsonObject(new TextEncoder().encode('not json'))).to.deep.equal({ value: 'not json' });
      expect(asJsonObject([1, 2])).to.deep.equal({ value: [1, 2] });
      expect(asJsonObject('text')).to.deep.equal({ value: 'text' });
    });

    it('recognises system events by type or stream', () => {
      expect(isSystemEvent('chat-1', '$metadata')).to.equal(true);
      expect(isSystemEvent('$$chat-1', 'x')).to.equal(true);
      expect(isSystemEvent('$ce-chat', '$>')).to.equal(true);
      expect(isSystemEvent('chat-1', 'ChatCreated')).to.equal(false);
    });
  });

  describe('positions', () => {
    it("uses the event's commit position", () => {
      expect(positionOf({ event: recorded({ position: { commit: 42n, prepare: 42n } }) })).to.equal(42n);
    });

    it('falls back to prepare, then the resolved commit position, then UNKNOWN_POSITION', () => {
      const sentinel = { commit: NO_SERVER_POSITION, prepare: 77n };
      expect(positionOf({ event: recorded({ position: sentinel }) })).to.equal(77n);
      expect(positionOf({ event: recorded({ position: undefined }), commitPosition: 88n })).to.equal(88n);
      expect(positionOf({ event: recorded({ position: undefined }) })).to.equal(UNKNOWN_POSITION);
      const none = { commit: NO_SERVER_POSITION, prepare: NO_SERVER_POSITION };
      expect(positionOf({ event: recorded({ position: none }) })).to.equal(UNKNOWN_POSITION);
    });

    it('reads $all from the start or from {commit: p, prepare: p}', () => {
      expect(readFrom(undefined)).to.equal(START);
      expect(readFrom(BEFORE_START)).to.equal(START);
      expect(readFrom(BIG)).to.deep.equal({ commit: BIG, prepare: BIG });
      expect(toClientPosition(0n)).to.deep.equal({ commit: 0n, prepare: 0n });
    });
  });

  describe('filters', () => {
    it('without a filter excludes system events on the server and here', () => {
      const plan = planFilter(undefined);
      expect(plan.server.filterOn).to.equal(EVENT_TYPE);
      expect(plan.server).to.have.property('regex', '^[^$].*');
      expect(plan.matches('chat-1', 'ChatCreated')).to.equal(true);
      expect(plan.matches('chat-1', '$metadata')).to.equal(false);
      expect(plan.matches('$stats-1', 'Stat')).to.equal(false);
    });

    it('filters categories by stream-name prefix `${category}-`', () => {
      const plan = planFilter({ categories: ['chat', 'agent'] });
      expect(plan.server.filterOn).to.equal(STREAM_NAME);
      expect(plan.server).to.have.deep.property('prefixes', ['chat-', 'agent-']);
      expect(plan.matches('chat-1', 'Any')).to.equal(true);
      expect(plan.matches('agent-support/bot', 'Any')).to.equal(true);
      expect(plan.matches('chatter-1', 'Any')).to.equal(false);
      expect(plan.matches('execution-1', 'Any')).to.equal(false);
    });

    it('filters event types by prefix on the server and exactly here', () => {
      const plan = planFilter({ eventTypes: ['ChatCreated'] });
      expect(plan.server.filterOn).to.equal(EVENT_TYPE);
      expect(plan.server).to.have.deep.property('prefixes', ['ChatCreated']);
      expect(plan.matches('chat-1', 'ChatCreated')).to.equal(true);
      expect(plan.matches('chat-1', 'ChatCreatedV2')).to.equal(false);
    });

    it('with both, filters types on the server and categories here', () => {
      const plan = planFilter({ categories: ['chat'], eventTypes: ['Alpha', 'Beta'] });
      expect(plan.server.filterOn).to.equal(EVENT_TYPE);
      expect(plan.server).to.have.deep.property('prefixes', ['Alpha', 'Beta']);
      expect(plan.matches('chat-1', 'Alpha')).to.equal(true);
      expect(plan.matches('chat-1', 'Gamma')).to.equal(false);
      expect(plan.matches('agent-1', 'Alpha')).to.equal(false);
    });

    it('treats empty lists as no restriction', () => {
      const plan = planFilter({ categories: [], eventTypes: [] });
      expect(plan.server).to.have.property('regex', '^[^$].*');
      expect(plan.matches('x-1', 'Y')).to.equal(true);
    });
  });

  describe('stream read options', () => {
    it('starts forwards reads at START and backwards reads at END', () => {
      expect(toClientReadStreamOptions()).to.deep.equal({ direction: FORWARDS, fromRevision: START });
      expect(toClientReadStreamOptions({ direction: 'backwards' })).to.deep.equal({
        direction: BACKWARDS,
        fromRevision: END,
      });
    });

    it('passes an inclusive fromRevision and maxCount through', () => {
      expect(
        toClientReadStreamOptions({ direction: 'backwards', fromRevision: 3n, maxCount: 2 }),
      ).to.deep.equal({
        direction: BACKWARDS,
        fromRevision: 3n,
        maxCount: 2,
      });
    });

    it('refuses a negative revision or count', () => {
      expect(() => toClientReadStreamOptions({ fromRevision: -1n })).to.throw(ValidationError);
      expect(() => toClientReadStreamOptions({ maxCount: -1 })).to.throw(ValidationError);
    });
  });

  describe('deleted events in $all', () => {
    it('reads $tb from stream metadata; a soft delete hides every revision', () => {
      expect(truncateBefore(undefined)).to.equal(0n);
      expect(truncateBefore({})).to.equal(0n);
      expect(truncateBefore({ truncateBefore: 3 })).to.equal(3n);
      const softDeleted = truncateBefore(JSON.parse('{"truncateBefore": 9223372036854775807}') as object);
      expect(softDeleted > 2n ** 62n).to.equal(true);
    });

    it('hides events below their stream $tb and looks each stream up once', async () => {
      const lookups: string[] = [];
      const visible = new VisibleEvents(async (s) => (lookups.push(s), s === 'chat-1' ? 2n : 0n));
      const e = (streamName: string, revision: bigint) => ({
        ...toRecordedEvent(at(1n)),
        streamName,
        revision,
      });
      expect(await visible.isVisible(e('chat-1', 1n))).to.equal(false);
      expect(await visible.isVisible(e('chat-1', 2n))).to.equal(true);
      expect(await visible.isVisible(e('chat-2', 0n))).to.equal(true);
      expect(lookups).to.deep.equal(['chat-1', 'chat-2']);
    });

    it('truncates by raising $tb only, keeping the stream metadata it had', async () => {
      const written: [string, unknown][] = [];
      const client = {
        getStreamMetadata: async () => ({ metadata: { maxAge: 60, truncateBefore: 5 } }),
        setStreamMetadata: async (stream: string, metadata: unknown) => void written.push([stream, metadata]),
      } as unknown as EventStoreDBClient;
      await truncateStream(client, 'schedtick-1', 3n); // below the $tb it has: nothing to write
      await truncateStream(client, 'schedtick-1', 8n);
      expect(written).to.deep.equal([['schedtick-1', { maxAge: 60, truncateBefore: 8 }]]);
      expect(raisedTruncation(undefined, 2n)).to.deep.equal({ truncateBefore: 2 });
    });

    it('deletes at an expected revision, and maps a mismatch to a ConcurrencyError', async () => {
      const asked: unknown[] = [];
      const client = {
        deleteStream: async (_s: string, options: unknown) => {
          asked.push(options);
          throw wrongVersion(1n, 3n);
        },
      } as unknown as EventStoreDBClient;
      const err = await new EsdbEventStore(client).deleteStream('w-1', 1n).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConcurrencyError);
      expect(asked).to.deep.equal([{ expectedRevision: 1n }]);
    });
  });

  describe('connection string', () => {
    it('accepts kurrentdb:// by rewriting only the scheme', () => {
      expect(toEsdbConnectionString('kurrentdb://db:2113?tls=false')).to.equal('esdb://db:2113?tls=false');
      expect(toEsdbConnectionString('kurrentdb+discover://a:2113,b:2113')).to.equal(
        'esdb+discover://a:2113,b:2113',
      );
      expect(toEsdbConnectionString('esdb://db:2113?tls=false')).to.equal('esdb://db:2113?tls=false');
    });
  });

  describe('scan memo', () => {
    it('skips a range known to hold no match, for the same filter only', () => {
      const memo = new EmptyRanges();
      const key = filterKey({ categories: ['b', 'a'] });
      expect(filterKey({ categories: ['a', 'b'] })).to.equal(key);
      expect(memo.startAfter(key, 10n)).to.deep.equal({ start: 10n, emptySince: 10n });
      memo.remember(key, 10n, 50n);
      expect(memo.startAfter(key, 10n)).to.deep.equal({ start: 50n, emptySince: 10n });
      expect(memo.startAfter(key, 30n)).to.deep.equal({ start: 50n, emptySince: 10n });
      expect(memo.startAfter(key, 50n)).to.deep.equal({ start: 50n, emptySince: 50n });
      expect(memo.startAfter(key, 5n)).to.deep.equal({ start: 5n, emptySince: 5n });
      expect(memo.startAfter(filterKey(undefined), 10n)).to.deep.equal({ start: 10n, emptySince: 10n });
    });
  });
});

/** Just enough of the client for reads and subscriptions: `$all` is an in-memory log. */
class FakeClient {
  readonly reads: ClientReadAllOptions[] = [];
  readonly live: FakeSubscription[] = [];

  constructor(readonly log: ClientResolvedEvent[]) {}

  readAll(options: ClientReadAllOptions) {
    this.reads.push(options);
    const from = options.fromPosition;
    const backwards = options.direction === BACKWARDS;
    const ordered = backwards ? [...this.log].reverse() : this.log;
    const inRange = ordered.filter((r) => {
      const p = positionOf(r);
      if (from === START || from === END || from === undefined) return true;
      return backwards ? p < from.commit : p >= from.commit; // forwards inclusive, as on the server
    });
    return toAsync(inRange.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)));
  }

  subscribeToAll() {
    return this.subscription();
  }

  subscribeToStream() {
    return this.subscription();
  }

  private subscription(): FakeSubscription {
    const s = new FakeSubscription();
    this.live.push(s);
    return s;
  }
}

class FakeSubscription extends EventEmitter {
  unsubscribed = false;
  async unsubscribe() {
    this.unsubscribed = true;
  }
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const asClient = (fake: FakeClient) => fake as unknown as EventStoreDBClient;
const noTruncation = async () => 0n;

describe('ESDB adapter against a fake client', () => {
  const log = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      at(BigInt((i + 1) * 10), { streamId: i % 2 ? 'b-1' : 'a-1', revision: BigInt(Math.floor(i / 2)) }),
    );

  it('reads $all strictly after a position, across pages, without repeating the page boundary', async () => {
    const fake = new FakeClient(log(1200));
    const events = await new AllReader(asClient(fake), noTruncation).read({ after: 100n });
    expect(events).to.have.length(1190);
    expect(events[0]!.position).to.equal(110n);
    expect(new Set(events.map((e) => e.position)).size).to.equal(1190);
    expect(fake.reads.length).to.be.greaterThan(2);
  });

  it('filters here, stops at maxCount, and skips system events', async () => {
    const fake = new FakeClient([at(5n, { type: '$metadata', streamId: '$$a-1' }), ...log(20)]);
    const reader = new AllReader(asClient(fake), noTruncation);
    const events = await reader.read({ maxCount: 3, filter: { categories: ['b'] } });
    expect(events.map((e) => [e.streamName, e.position])).to.deep.equal([
      ['b-1', 20n],
      ['b-1', 40n],
      ['b-1', 60n],
    ]);
  });

  it('hides deleted events and rescans no empty tail', async () => {
    const fake = new FakeClient(log(10));
    const reader = new AllReader(asClient(fake), async (s) => (s === 'a-1' ? 99n : 0n));
    expect((await reader.read({ filter: { categories: ['a'] } })).length).to.equal(0);
    const readsBefore = fake.reads.length;
    fake.log.push(at(200n, { streamId: 'a-1', revision: 99n }));
    const again = await reader.read({ filter: { categories: ['a'] } });
    expect(again.map((e) => e.position)).to.deep.equal([200n]);
    expect(fake.reads[readsBefore]!.fromPosition).to.deep.equal({ commit: 100n, prepare: 100n });
  });

  it('resumes after a page cut short by maxCount without losing the unread rest', async () => {
    const reader = new AllReader(asClient(new FakeClient(log(20))), noTruncation);
    const first = await reader.read({ maxCount: 2, filter: { categories: ['b'] } });
    expect(first.map((e) => e.position)).to.deep.equal([20n, 40n]);
    const rest = await reader.read({ after: 40n, filter: { categories: ['b'] } });
    expect(rest.map((e) => e.position)).to.deep.equal([60n, 80n, 100n, 120n, 140n, 160n, 180n, 200n]);
  });

  it('finds the head past trailing system events, or 0n when empty', async () => {
    const tail = [at(500n, { type: '$metadata', streamId: '$$a-1' })];
    expect(await new AllReader(asClient(new FakeClient([...log(3), ...tail])), noTruncation).head()).to.equal(
      30n,
    );
    expect(await new AllReader(asClient(new FakeClient(tail)), noTruncation).head()).to.equal(0n);
  });

  it('subscribes to $all after a position: skips it, system and unmatched events; unsubscribes on teardown', async () => {
    const fake = new FakeClient([]);
    const got = firstValueFrom(
      subscribeAll(asClient(fake), noTruncation, { after: 20n, filter: { categories: ['chat'] } }).pipe(
        take(2),
        toArray(),
      ),
    );
    const live = fake.live[0]!;
    for (const r of [at(20n), at(25n, { type: '$>' }), at(30n, { streamId: 'b-1' }), at(40n), at(50n)]) {
      live.emit('data', r);
    }
    expect((await got).map((e) => e.position)).to.deep.equal([40n, 50n]);
    expect(live.unsubscribed).to.equal(true);
  });

  it('rings the head doorbell with the head, again once confirmed, then each new position, rising only', async () => {
    const fake = new FakeClient([]);
    let head = 30n;
    const rung: bigint[] = [];
    const sub = watchHead(asClient(fake), async () => head).subscribe((p) => rung.push(p));
    await Promise.resolve();
    const live = fake.live[0]!;
    head = 40n; // appended while the subscription was being set up
    live.emit('confirmation');
    await new Promise((r) => setImmediate(r));
    live.emit('data', at(35n));
    live.emit('data', at(45n, { type: '$metadata', streamId: '$$a-1' }));
    live.emit('data', at(50n));
    sub.unsubscribe();
    expect(rung).to.deep.equal([30n, 40n, 50n]);
    expect(live.unsubscribed).to.equal(true);
  });

  it('subscribes to a stream after a revision and reports a dropped subscription', async () => {
    const fake = new FakeClient([]);
    const seen: bigint[] = [];
    const failed = new Promise<unknown>((resolve) => {
      subscribeStream(asClient(fake), 'chat-1', { afterRevision: 1n }).subscribe({
        next: (e) => seen.push(e.revision),
        error: resolve,
      });
    });
    const live = fake.live[0]!;
    for (const revision of [1n, 2n, 3n]) live.emit('data', at(revision * 10n, { revision }));
    live.emit('error', new ClientUnavailableError());
    expect(await failed).to.be.instanceOf(DependencyUnavailableError);
    expect(seen).to.deep.equal([2n, 3n]);
    expect(live.unsubscribed).to.equal(true);
  });
});
