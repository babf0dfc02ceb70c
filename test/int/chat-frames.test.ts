/**
 * chatFrames (the chat's SSE frames: durable events and the turns' deltas) over the real Postgres
 * event store and the memory live bus. The drain waits are set far beyond the test's timeout, so
 * a replay that waited for deltas which cannot come would hang and fail.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { firstValueFrom, takeWhile, toArray, type Observable } from 'rxjs';
import { turnChannel } from '../../src/events/chat-events.js';
import type { NewEvent } from '../../src/events/event-store.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { streams } from '../../src/events/stream-names.js';
import { chatFrames } from '../../src/runtime/chat-feed/chat-frames.js';
import type { SseFrame } from '../../src/http/sse.js';
import { MemoryLiveBus } from '../../src/runtime/live-bus/memory-live-bus.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { loggedPool, type QueryLog } from '../support/query-log.js';
import { delivered, following } from '../support/store-memory.js';

const NEVER = { ms: 600_000, silentMs: 600_000 };

function event(type: string, data: Record<string, unknown>): NewEvent {
  const id = randomUUID();
  return {
    id,
    type,
    data,
    metadata: { correlationId: id, causationId: id, actor: 'u', commandId: id, version: 1 },
  };
}

/** A finished turn as the chat stream records it. */
function turn(turnId: string, text: string): NewEvent[] {
  const at = new Date().toISOString();
  return [
    event('UserMessagePosted', { messageId: randomUUID(), turnId, content: `about ${text}`, at }),
    event('TurnStarted', { turnId, attempt: 1, model: 'm', provider: 'p', agentVersion: 1, at }),
    event('AssistantMessageCompleted', { messageId: randomUUID(), turnId, attempt: 1, content: text, at }),
  ];
}

/** Frames until (and with) the one `last` names. */
function until(frames: Observable<SseFrame>, last: (f: SseFrame) => boolean): Promise<SseFrame[]> {
  return firstValueFrom(
    frames.pipe(
      takeWhile((f) => !last(f), true),
      toArray(),
    ),
  );
}

const lastReply = (text: string) => (f: SseFrame) =>
  f.event === 'AssistantMessageCompleted' && (f.data as { content?: string }).content === text;
const describeFrames = (frames: SseFrame[]) => frames.map((f) => `${f.id} ${f.event}`);

describe('chat frames: turns whose deltas are gone', function () {
  this.timeout(20_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;
  let bus: MemoryLiveBus;
  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 8);
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
    bus = new MemoryLiveBus();
  });
  after(async () => {
    await bus?.close();
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  it('replays a chat whose delta channels expired without waiting for them, from the start or an offset', async () => {
    const chatId = randomUUID();
    const turns = [randomUUID(), randomUUID(), randomUUID()];
    await store.append(
      streams.chat(chatId),
      turns.flatMap((t, i) => turn(t, `reply ${i}`)),
      'no_stream',
    );
    const all = await until(chatFrames(store, bus, chatId, undefined, NEVER), lastReply('reply 2'));
    expect(describeFrames(all)).to.deep.equal(
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map(
        (r) => `${r} ${['UserMessagePosted', 'TurnStarted', 'AssistantMessageCompleted'][r % 3]}`,
      ),
    );
    const resumed = await until(
      chatFrames(store, bus, chatId, { revision: 1n, seq: 0 }, NEVER),
      lastReply('reply 2'),
    );
    expect(describeFrames(resumed)).to.deep.equal(describeFrames(all.slice(2)));
  });

  it('still replays the deltas a channel keeps, between its turn start and its reply', async () => {
    const chatId = randomUUID();
    const [gone, kept] = [randomUUID(), randomUUID()];
    const channel = turnChannel(chatId, { turnId: kept, attempt: 1 });
    await bus.publish(channel, { seq: 1, type: 'content', content: 'ke' });
    await bus.publish(channel, { seq: 2, type: 'content', content: 'pt' });
    await bus.end(channel);
    await store.append(streams.chat(chatId), [...turn(gone, 'gone'), ...turn(kept, 'kept')], 'no_stream');
    const frames = await until(chatFrames(store, bus, chatId, undefined, NEVER), lastReply('kept'));
    expect(describeFrames(frames)).to.deep.equal([
      '0 UserMessagePosted',
      '1 TurnStarted',
      '2 AssistantMessageCompleted',
      '3 UserMessagePosted',
      '4 TurnStarted',
      '4.1 message',
      '4.2 message',
      '5 AssistantMessageCompleted',
    ]);
  });

  it('follows a live turn: deltas published after the subscription come before the reply', async () => {
    const chatId = randomUUID();
    const turnId = randomUUID();
    const [posted, started, completed] = turn(turnId, 'live');
    await store.append(streams.chat(chatId), [posted!, started!], 'no_stream');
    const frames = until(chatFrames(store, bus, chatId, undefined, NEVER), lastReply('live'));
    await new Promise((r) => setTimeout(r, 100)); // subscribed and attached to the turn's channel
    const channel = turnChannel(chatId, { turnId: turnId, attempt: 1 });
    await bus.publish(channel, { seq: 1, type: 'content', content: 'li' });
    await bus.publish(channel, { seq: 2, type: 'content', content: 've' });
    await bus.end(channel); // a turn ends its channel before its reply is recorded
    await store.append(streams.chat(chatId), [completed!], 1n);
    expect(describeFrames(await frames)).to.deep.equal([
      '0 UserMessagePosted',
      '1 TurnStarted',
      '1.1 message',
      '1.2 message',
      '2 AssistantMessageCompleted',
    ]);
  });

  describe('a turn just posted in this process', () => {
    let logged: { pool: pg.Pool; log: QueryLog };
    let memoryStore: PgEventStore;
    let follows: { unsubscribe(): void };
    /** a chat recorded before this process followed the store: not in its memory */
    const oldChat = randomUUID();
    /** the statements that read the chat's stream */
    const readsOf = (chatId: string) =>
      logged.log.reading('es_events').filter((q) => q.values[0] === streams.chat(chatId));
    before(async () => {
      await store.append(streams.chat(oldChat), turn(randomUUID(), 'old'), 'no_stream');
      logged = loggedPool(db.url, 4);
      memoryStore = new PgEventStore(logged.pool, db.url);
      follows = await following(memoryStore);
    });
    after(async () => {
      follows?.unsubscribe();
      await memoryStore?.close();
      await logged?.pool.end();
    });

    it('streams from the store’s memory with no read, from the message on, then follows live', async () => {
      const chatId = randomUUID();
      const turnId = randomUUID();
      const [posted, started, completed] = turn(turnId, 'from memory');
      await memoryStore.append(streams.chat(chatId), turn(randomUUID(), 'earlier'), 'no_stream');
      const r = await memoryStore.append(streams.chat(chatId), [posted!], 2n);
      await delivered(memoryStore, r.position);
      logged.log.clear();
      // as POST /messages/stream does: from the message just posted (revision 3), which is not sent again
      const frames = until(
        chatFrames(memoryStore, bus, chatId, { revision: 3n, seq: 0 }, NEVER),
        lastReply('from memory'),
      );
      const channel = turnChannel(chatId, { turnId: turnId, attempt: 1 });
      await memoryStore.append(streams.chat(chatId), [started!], 3n);
      await new Promise((res) => setTimeout(res, 50)); // attached to the turn's channel
      await bus.publish(channel, { seq: 1, type: 'content', content: 'from ' });
      await bus.publish(channel, { seq: 2, type: 'content', content: 'memory' });
      await bus.end(channel);
      await memoryStore.append(streams.chat(chatId), [completed!], 4n);
      expect(describeFrames(await frames)).to.deep.equal([
        '4 TurnStarted',
        '4.1 message',
        '4.2 message',
        '5 AssistantMessageCompleted',
      ]);
      expect(readsOf(chatId).map((q) => q.text)).to.deep.equal([]);
    });

    it('reads the store when its memory does not hold the chat from the resume point', async () => {
      logged.log.clear();
      const frames = await until(
        chatFrames(memoryStore, bus, oldChat, { revision: 0n, seq: 0 }, NEVER),
        lastReply('old'),
      );
      expect(describeFrames(frames)).to.deep.equal(['1 TurnStarted', '2 AssistantMessageCompleted']);
      expect(readsOf(oldChat)).to.have.length.greaterThan(0);
    });
  });
});
