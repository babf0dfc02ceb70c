/**
 * Forks (issue 18 item 2): `POST /chats/{id}/fork {at}` makes a new chat of the caller's with the
 * original's history up to `at` (cut back to the last turn that had ended by then), which goes on
 * like any chat; the original's stream and read model stay byte-identical; both timelines and the
 * export carry the link; bad `at` is a 400 naming it; someone else's chat is a 404.
 */
import { expect } from 'chai';
import { streams } from '../../src/events/stream-names.js';
import { TURN_QUEUE, turnJobId } from '../../src/runtime/turns/turn-jobs.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, userKey, type TestPlatform } from '../support/platform.js';
import { TestFamily } from '../support/test-family.js';

/** what a message is, without its ids and times (they differ in a fork by design) */
interface Shape {
  role: string;
  content: unknown;
  tool_calls: unknown;
  tool_call_id: unknown;
}
const shape = (m: Shape): Shape => ({
  role: m.role,
  content: m.content,
  tool_calls: m.tool_calls ?? null,
  tool_call_id: m.tool_call_id ?? null,
});
const ENDED = ['completed', 'failed', 'cancelled'];

describe('chat forks', function () {
  this.timeout(300_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let original: string;
  const family = new TestFamily([{ name: 'test_echo' }]);
  const raw = async (chatId: string) =>
    JSON.stringify(await t.platform.services.eventStore.readStream(streams.chat(chatId)), (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
  const body = async (path: string) => (await t.api(path)).text();
  const post = async (chatId: string, content: string) => {
    const r = await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } });
    expect(r.status, await r.clone().text()).to.equal(200);
    return r.json();
  };
  const fork = (chatId: string, json: unknown, headers: Record<string, string> = {}) =>
    t.api(`/chats/${chatId}/fork`, { method: 'POST', json, headers });

  before(async () => {
    t = await startTestPlatform({}, { families: [family] });
    const agent = await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'fk', name: 'bot' } });
    expect(agent.status).to.equal(201);
    // the development model (no provider yet) with tool calls, so the chat has varied events
    original = (await (await t.api('/agents/fk/bot/chats', { method: 'POST', json: {} })).json()).id;
    await post(original, 'hello there');
    await post(original, 'call test_echo {"n": 1}');
    expect(
      (await t.api(`/chats/${original}`, { method: 'PUT', json: { title: 'renamed' } })).status,
    ).to.equal(200);
    await post(original, 'call test_echo {"n": 2} and call test_echo {"n": 3}');
    await post(original, 'thanks');
    // a fork that sends the original's next message again gets the same answer from the development
    // model (deterministic for the same history), tool call ids included
    const replies = async (chatId: string) =>
      (await t.platform.services.eventStore.readStream(streams.chat(chatId)))
        .filter((e) => e.type === 'AssistantMessageCompleted')
        .map((e) => {
          const { content, toolCalls, usage, model } = e.data as Record<string, unknown>;
          return JSON.stringify({ content, toolCalls, usage, model });
        });
    const again = (await (await fork(original, { at: 3 })).json()).id as string;
    await post(again, 'call test_echo {"n": 1}');
    expect(await replies(again)).to.deep.equal((await replies(original)).slice(0, 3));
    // forks' turns go to the scripted peer from here on, which records what the model saw
    llm = await startScriptedLlm();
    await useProvider(t, llm.url);
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });

  it('forks at every revision of a 20-event chat; each fork goes on, the original stays byte-identical', async () => {
    const events = await t.platform.services.eventStore.readStream(streams.chat(original));
    expect(events.length).to.be.at.least(20);
    expect(new Set(events.map((e) => e.type))).to.include.members([
      'ToolCallStarted',
      'ToolCallCompleted',
      'ChatTitleChanged',
    ]);
    const before = {
      stream: await raw(original),
      chat: await body(`/chats/${original}`),
      list: await body('/chats'),
    };
    let cutBack = 0;
    for (let at = 0; at < events.length; at++) {
      // the turn boundary, judged by the read model as it was: the last revision with every turn ended
      let boundary = at;
      for (; boundary > 0; boundary--) {
        const then = await (await t.api(`/chats/${original}?as_of=${boundary}`)).json();
        if ((then.turns as { status: string }[]).every((x) => ENDED.includes(x.status))) break;
      }
      if (boundary < at) cutBack++;
      const prefix = (await (await t.api(`/chats/${original}?as_of=${boundary}`)).json()) as {
        messages: Shape[];
        title: string;
      };
      const r = await fork(original, { at });
      expect(r.status, await r.clone().text()).to.equal(201);
      const forked = await r.json();
      expect(forked.forked_from).to.deep.equal({ chat_id: original, revision: boundary, requested: at });
      expect(forked.id).to.not.equal(original);
      expect(forked.title).to.equal(prefix.title);
      const sent = llm.requests.length;
      const reply = await post(forked.id, `go on from ${at}`);
      expect(reply.content).to.equal(`Echo: go on from ${at}`);
      // the fork's history is the original's prefix plus the new turn
      const now = (await (await t.api(`/chats/${forked.id}`)).json()) as { messages: Shape[] };
      expect(now.messages.map(shape)).to.deep.equal([
        ...prefix.messages.map(shape),
        shape({ role: 'user', content: `go on from ${at}`, tool_calls: null, tool_call_id: null }),
        shape({ role: 'assistant', content: `Echo: go on from ${at}`, tool_calls: null, tool_call_id: null }),
      ]);
      // and the model saw exactly that prefix and the new message
      const seen = (llm.requests[sent]!.messages as Shape[]).filter((m) => m.role !== 'system').map(shape);
      expect(seen).to.deep.equal([
        // the read model keeps a tool-calling reply's empty text as '', the wire as null
        ...prefix.messages.map((m) => shape({ ...m, content: m.content === '' ? null : m.content })),
        shape({ role: 'user', content: `go on from ${at}`, tool_calls: null, tool_call_id: null }),
      ]);
    }
    expect(cutBack, 'forks inside a turn, cut back to its start').to.be.at.least(5);
    expect(await raw(original)).to.equal(before.stream);
    expect(await body(`/chats/${original}`)).to.equal(before.chat);
    const list = JSON.parse(await body('/chats')) as { id: string }[];
    const listBefore = JSON.parse(before.list) as { id: string }[];
    expect(list.filter((c) => c.id === original)).to.deep.equal(listBefore.filter((c) => c.id === original));
  });

  it('starts no turn job for the turns it copied', async () => {
    const forked = (await (await fork(original, { at: 12 })).json()).id as string;
    const events = await t.platform.services.eventStore.readStream(streams.chat(forked));
    const { waiter, queue } = t.platform.services;
    const copied = events.filter((e) => e.type === 'UserMessagePosted');
    expect(copied).to.have.length.above(0);
    // the turn reactor has passed the copies (its checkpoint moves on the events it is about)
    expect(await waiter.waitFor(['reactor_turns'], copied.at(-1)!.position, 30_000)).to.equal(true);
    for (const e of copied) {
      const job = turnJobId({ chatId: forked, turnId: (e.data as { turnId: string }).turnId });
      expect(await queue.getJob(TURN_QUEUE, job), job).to.equal(undefined);
    }
  });

  it('links the fork in both timelines and in the export', async () => {
    const r = await fork(original, { at: 5 });
    const forked = await r.json();
    const origin = forked.forked_from as { revision: number };
    const mine = await (await t.api(`/chats/${original}/timeline?limit=1000`)).json();
    const link = (
      mine.items as { type: string; data: Record<string, unknown>; correlation_id: string }[]
    ).find((i) => i.type === 'ChatForked' && i.data.forkId === forked.id);
    expect(link?.data).to.include({
      chatId: original,
      forkId: forked.id,
      revision: origin.revision,
      requested: 5,
    });
    const theirs = await (await t.api(`/chats/${forked.id}/timeline?limit=1000`)).json();
    const created = (theirs.items as { type: string; data: Record<string, unknown> }[]).find(
      (i) => i.type === 'ChatCreated',
    );
    expect(created?.data.forkedFrom).to.deep.equal({
      chatId: original,
      revision: origin.revision,
      requested: 5,
    });
    // one export by the fork command's correlation id holds both ends of the link
    const exported = await body(`/api/v1/audit/export?correlation_id=${link!.correlation_id}`);
    const lines = exported
      .trim()
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l).event);
    expect(lines.map((e: { type: string }) => e.type)).to.include.members(['ChatForked', 'ChatCreated']);
    expect(lines.find((e: { type: string }) => e.type === 'ChatCreated').data.forkedFrom.chatId).to.equal(
      original,
    );
  });

  it('refuses an `at` beyond the head or negative with a 400 naming it', async () => {
    const head = (await t.platform.services.eventStore.readStream(streams.chat(original))).length - 1;
    for (const at of [head + 1, -1, 1.5, 'x']) {
      const r = await fork(original, { at });
      expect(r.status, `at=${at}`).to.equal(400);
      expect(JSON.stringify(await r.json())).to.contain('at');
    }
    expect((await fork(original, {})).status).to.equal(400);
  });

  it("forks only a chat the caller may read; the fork is the caller's, and a retry returns the same fork", async () => {
    const key = await userKey(t, 'forker');
    expect((await fork(original, { at: 2 }, { 'x-api-key': key })).status).to.equal(404);
    const first = await fork(original, { at: 2 }, { 'idempotency-key': 'fork-once' });
    const again = await fork(original, { at: 2 }, { 'idempotency-key': 'fork-once' });
    expect((await again.json()).id).to.equal((await first.json()).id);
  });
});
