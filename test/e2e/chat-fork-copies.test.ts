/**
 * What a fork copied is the fork's history, not something that happened again (issue 18): GET and
 * the list show where a fork branched off; usage sums (analyst views, message stats, metrics) count
 * the copied turns once, in the original, and the fork's new turns once; event webhooks deliver the
 * fork's creation and its new events, never the copies; a fork owns the blobs of its copied parts,
 * so purging the ephemeral original leaves them. Forks of forks and of archived chats go on too;
 * someone else's chat is a 404 like no chat at all.
 */
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streams } from '../../src/events/stream-names.js';
import { purgeIfExpired } from '../../src/runtime/turns/purge.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const METRICS_KEY = 'fork-metrics-key-0123456789';

interface Delivered {
  readonly type: string;
  readonly stream: string;
  readonly metadata: Record<string, unknown>;
  readonly data: Record<string, unknown>;
}

/** a webhook receiver on 127.0.0.1 recording each delivered event */
async function startReceiver() {
  const got: Delivered[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Delivered }).data);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    got,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('what a fork copied', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let rx: Awaited<ReturnType<typeof startReceiver>>;

  const newChat = async (json: object = {}) =>
    (await (await t.api('/agents/fc/bot/chats', { method: 'POST', json })).json()).id as string;
  const post = async (chatId: string, content: unknown) => {
    const r = await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } });
    expect(r.status, await r.clone().text()).to.equal(200);
  };
  const fork = async (chatId: string, at?: number) => {
    const head = (await t.platform.services.eventStore.readStream(streams.chat(chatId))).length - 1;
    const r = await t.api(`/chats/${chatId}/fork`, { method: 'POST', json: { at: at ?? head } });
    expect(r.status, await r.clone().text()).to.equal(201);
    return (await r.json()) as { id: string; archived: boolean; forked_from: unknown };
  };
  /** the chat read models (and the analyst views over them) have every event so far */
  const settled = async () => {
    const { waiter, eventStore } = t.platform.services;
    expect(await waiter.waitFor(['chats'], await eventStore.headPosition(), 30_000)).to.equal(true);
  };
  const sql = async <T>(text: string, values: unknown[] = []) =>
    (await t.platform.services.pool.query(text, values)).rows as T[];
  const metric = async (series: string) => {
    const r = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_KEY}` } });
    const line = (await r.text()).split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  before(async () => {
    rx = await startReceiver();
    t = await startTestPlatform({ SINAS_WEBHOOK_ALLOWLIST: '127.0.0.1', SINAS_METRICS_KEY: METRICS_KEY });
    const agent = await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'fc', name: 'bot' } });
    expect(agent.status).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await rx?.stop();
  });

  it('shows forked_from on GET /chats/{id} and in the list for a fork, null for other chats', async () => {
    const original = await newChat();
    await post(original, 'hello');
    const forked = await fork(original);
    const got = await (await t.api(`/chats/${forked.id}`)).json();
    expect(got.forked_from).to.deep.equal(forked.forked_from);
    expect(got.forked_from).to.deep.equal({ chat_id: original, revision: 3, requested: 3 });
    expect((await (await t.api(`/chats/${original}`)).json()).forked_from).to.equal(null);
    const list = (await (await t.api('/chats')).json()) as { id: string; forked_from: unknown }[];
    expect(list.find((c) => c.id === forked.id)?.forked_from).to.deep.equal(got.forked_from);
    expect(list.find((c) => c.id === original)?.forked_from).to.equal(null);
  });

  it("counts a fork's copied turns once (in the original) in the analyst views, message stats and metrics", async () => {
    const original = await newChat();
    await post(original, 'first question');
    await post(original, 'second question');
    await settled();
    const usage = async () =>
      (
        await sql<{ replies: string; total: string }>(
          `SELECT coalesce(sum(replies), 0) AS replies, coalesce(sum(total_tokens), 0) AS total
             FROM analytics.token_usage_daily WHERE agent_name = 'bot'`,
        )
      )[0]!;
    const stats = async () =>
      (await (await t.api('/api/v1/messages/stats?days=7')).json()).total_messages as number;
    const before = {
      usage: await usage(),
      stats: await stats(),
      started: await metric('sinas_turns_started_total'),
      ended: await metric('sinas_turns_ended_total{outcome="completed"}'),
    };
    const forked = await fork(original);
    await post(forked.id, 'a question of the fork');
    await settled();
    const replies = (await t.platform.services.eventStore.readStream(streams.chat(forked.id))).filter(
      (e) => e.type === 'AssistantMessageCompleted' && e.metadata.forkOf === undefined,
    );
    expect(replies).to.have.length(1);
    const reply = { total: String((replies[0]!.data.usage as { total_tokens: number }).total_tokens) };
    expect(Number(reply.total)).to.be.above(0);
    const after = await usage();
    expect(Number(after.replies)).to.equal(Number(before.usage.replies) + 1);
    expect(Number(after.total)).to.equal(Number(before.usage.total) + Number(reply.total));
    const [row] = await sql<Record<string, string>>(
      `SELECT message_count, turn_count, total_tokens, copied_message_count, forked_from_chat_id
         FROM analytics.chats WHERE chat_id = $1`,
      [forked.id],
    );
    expect(row).to.deep.equal({
      message_count: '2',
      turn_count: '1',
      total_tokens: reply.total,
      copied_message_count: '4',
      forked_from_chat_id: original,
    });
    // the fork's message list is its whole history all the same
    expect((await (await t.api(`/chats/${forked.id}`)).json()).messages).to.have.length(6);
    expect(await stats()).to.equal(before.stats + 2);
    expect(await metric('sinas_turns_started_total')).to.equal(before.started + 1);
    expect(await metric('sinas_turns_ended_total{outcome="completed"}')).to.equal(before.ended + 1);
  });

  it("delivers a fork's creation and its new events to event webhooks, never the copied history", async () => {
    const sub = await t.api('/api/v1/event-subscriptions', {
      method: 'POST',
      json: { url: rx.url, categories: ['chat', 'chatforks'] },
    });
    expect(sub.status, await sub.clone().text()).to.equal(201);
    const original = await newChat();
    await post(original, 'said once');
    const forked = await fork(original);
    await post(forked.id, 'said in the fork');
    const ofFork = () => rx.got.filter((e) => e.stream === streams.chat(forked.id));
    // delivery is in commit order: once the fork's new reply is there, everything before it was passed
    await until('the fork’s new reply delivered', () =>
      ofFork().some((e) => e.type === 'AssistantMessageCompleted'),
    );
    expect(ofFork().map((e) => e.type)).to.deep.equal([
      'ChatCreated',
      'UserMessagePosted',
      'TurnStarted',
      'AssistantMessageCompleted',
    ]);
    expect(ofFork()[0]!.data.forkedFrom).to.include({ chatId: original });
    expect(ofFork()[1]!.data.content).to.equal('said in the fork');
    expect(ofFork().filter((e) => e.metadata.forkOf !== undefined && e.type !== 'ChatCreated')).to.deep.equal(
      [],
    );
    const original_ = rx.got.filter((e) => e.stream === streams.chat(original));
    expect(original_.filter((e) => e.type === 'UserMessagePosted')).to.have.length(1);
    await until('the fork link delivered', () =>
      rx.got.some((e) => e.type === 'ChatForked' && e.data.forkId === forked.id),
    );
  });

  it("keeps a fork's copied parts when the ephemeral original is purged", async () => {
    const { eventStore: store, messageParts } = t.platform.services;
    const png = randomBytes(300);
    const original = await newChat({ expires_in: 3600 });
    await post(original, [
      { type: 'text', text: 'look' },
      { type: 'image', image: `data:image/png;base64,${png.toString('base64')}` },
    ]);
    const forked = await fork(original);
    const keyOf = async (id: string) => {
      const posted = (await store.readStream(streams.chat(id))).find((e) => e.type === 'UserMessagePosted')!;
      return (posted.data.parts as { source: { key: string } }[])[1]!.source.key;
    };
    const bytes = async (key: string) => {
      const chunks: Buffer[] = [];
      for await (const c of messageParts.blobs.get(key)) chunks.push(c);
      return Buffer.concat(chunks);
    };
    const [originalKey, forkKey] = [await keyOf(original), await keyOf(forked.id)];
    expect(forkKey).to.not.equal(originalKey);
    // the original's expiry, reached: its purge runs as the purge job would
    const later = new Date(Date.now() + 7_200_000);
    expect(await purgeIfExpired(store, messageParts.blobs, original, later)).to.equal(true);
    expect((await bytes(originalKey)).length).to.equal(0);
    expect((await bytes(forkKey)).equals(png)).to.equal(true);
    await settled();
    const chat = await (await t.api(`/chats/${forked.id}`)).json();
    const user = chat.messages.find((m: { role: string }) => m.role === 'user');
    const views = JSON.parse(user.content as string) as { content_url?: string }[];
    const served = await t.api(views[1]!.content_url!);
    expect(served.status).to.equal(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).to.equal(true);
    // the fork itself never expires: nothing of it is purged
    expect(await purgeIfExpired(store, messageParts.blobs, forked.id, later)).to.equal(false);
  });

  it('forks a fork (linked to the fork it came from) and an archived chat (the fork starts unarchived)', async () => {
    const original = await newChat();
    await post(original, 'one');
    const first = await fork(original);
    await post(first.id, 'two');
    const second = await fork(first.id);
    expect(second.forked_from).to.deep.include({ chat_id: first.id });
    await post(second.id, 'three');
    const messages = async (id: string) =>
      ((await (await t.api(`/chats/${id}`)).json()).messages as { role: string; content: string }[])
        .filter((m) => m.role === 'user')
        .map((m) => m.content);
    expect(await messages(second.id)).to.deep.equal(['one', 'two', 'three']);
    expect(await messages(first.id)).to.deep.equal(['one', 'two']);
    await settled();
    const [row] = await sql<{ turn_count: string; copied_message_count: string }>(
      'SELECT turn_count, copied_message_count FROM analytics.chats WHERE chat_id = $1',
      [second.id],
    );
    expect(row).to.deep.equal({ turn_count: '1', copied_message_count: '4' });

    const archived = await t.api(`/chats/${original}`, { method: 'PUT', json: { archived: true } });
    expect(archived.status).to.equal(200);
    const ofArchived = await fork(original);
    expect(ofArchived.archived).to.equal(false);
    expect((await (await t.api(`/chats/${original}`)).json()).archived).to.equal(true);
    await post(ofArchived.id, 'carry on');
    expect(await messages(ofArchived.id)).to.deep.equal(['one', 'carry on']);
  });

  it("answers a fork of someone else's chat exactly as a fork of no chat at all: 404, nothing leaked", async () => {
    const original = await newChat();
    const stranger = { 'x-api-key': await userKey(t, 'fork-stranger', ['Users']) };
    const tryFork = async (chatId: string) => {
      const r = await t.api(`/chats/${chatId}/fork`, { method: 'POST', headers: stranger, json: { at: 0 } });
      const { status, title, detail } = await r.json();
      return { code: r.status, status, title, detail: String(detail).replace(chatId, '<id>') };
    };
    const theirs = await tryFork(original);
    expect(theirs.code).to.equal(404);
    expect(theirs).to.deep.equal(await tryFork(randomUUID()));
  });
});
