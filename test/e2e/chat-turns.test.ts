/** Turn policies, cancellation and invoke sessions, against the scripted provider. */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

describe('chat turns', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    for (const policy of ['enqueue', 'reject', 'interrupt'])
      await t.api('/api/v1/agents', {
        method: 'POST',
        json: { namespace: 'turns', name: policy, message_policy: policy },
      });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  const newChat = async (agent: string) =>
    (await (await t.api(`/agents/turns/${agent}/chats`, { method: 'POST', json: {} })).json()).id as string;
  const send = (id: string, content: string) =>
    t.api(`/chats/${id}/messages`, { method: 'POST', json: { content } });
  const turnsOf = async (id: string) =>
    (await (await t.api(`/chats/${id}`)).json()).turns as { status: string }[];
  const waitForStatus = (id: string, status: string) =>
    until(`a turn ${status}`, async () => (await turnsOf(id)).some((x) => x.status === status));

  it('enqueue: a message sent while a turn runs waits its turn, and each reply answers its own message', async () => {
    const id = await newChat('enqueue');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // the first turn runs until the second message is stored (the clock decides nothing)
    llm.script([
      { text: 'first reply', chunks: 4, hold: { afterChunks: 1, until: released } },
      { text: 'second reply' },
    ]);
    const first = send(id, 'first');
    await waitForStatus(id, 'running');
    const sent = send(id, 'second');
    await until('the second message stored', async () => (await turnsOf(id)).length === 2);
    release();
    const second = await sent;
    expect((await second.json()).content).to.equal('second reply');
    expect((await (await first).json()).content).to.equal('first reply');
    const lastRequest = llm.requests[1]!.messages.map((m: { content: string }) => m.content);
    expect(lastRequest).to.deep.equal(['first', 'first reply', 'second']);
  });

  it('reject: a message sent while a turn runs gets a 409 and changes nothing', async () => {
    const id = await newChat('reject');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // the first turn runs until the second message has had its answer
    llm.script([{ text: 'slow reply', chunks: 4, hold: { afterChunks: 1, until: released } }]);
    const first = send(id, 'first');
    await waitForStatus(id, 'running');
    const second = await send(id, 'second');
    release();
    expect(second.status).to.equal(409);
    await first;
    const chat = await (await t.api(`/chats/${id}`)).json();
    expect(chat.messages.map((m: { content: string }) => m.content)).to.deep.equal(['first', 'slow reply']);
  });

  it('interrupt: a new message cancels the running turn', async () => {
    const id = await newChat('interrupt');
    llm.script([{ hangAfterChunks: 1 }, { text: 'answer to the second' }]);
    const first = send(id, 'first');
    await waitForStatus(id, 'running');
    const second = await send(id, 'second');
    expect((await second.json()).content).to.equal('answer to the second');
    expect((await first).status).to.equal(409);
    expect((await turnsOf(id)).map((x) => x.status)).to.deep.equal(['cancelled', 'completed']);
  });

  it('cancel: POST /cancel stops the running turn; the chat stays usable', async () => {
    const id = await newChat('enqueue');
    llm.script([{ hangAfterChunks: 2 }, { text: 'after cancel' }]);
    const first = send(id, 'hang');
    await waitForStatus(id, 'running');
    const c = await t.api(`/chats/${id}/cancel`, { method: 'POST' });
    expect(c.status).to.equal(200);
    expect((await first).status).to.equal(409);
    expect((await (await send(id, 'again')).json()).content).to.equal('after cancel');
    expect((await t.api(`/chats/${id}/cancel`, { method: 'POST' })).status).to.equal(409);
  });

  it('Idempotency-Key: a retried message post returns the first reply and adds no message', async () => {
    const id = await newChat('enqueue');
    llm.script([{ text: 'only once' }]);
    const headers = { 'idempotency-key': `msg-${id}` };
    const a = await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'once' }, headers });
    const b = await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'once' }, headers });
    expect(b.headers.get('idempotent-replayed')).to.equal('true');
    expect(await b.json()).to.deep.equal(await a.json());
    const chat = await (await t.api(`/chats/${id}`)).json();
    expect(chat.messages.map((m: { content: string }) => m.content)).to.deep.equal(['once', 'only once']);
    expect(llm.requests).to.have.length(1);
  });

  it('reconnects to a finished turn with GET /chats/{id}/stream/{turn}', async () => {
    const id = await newChat('enqueue');
    llm.script([{ text: 'replay me please', chunks: 3 }]);
    const res = await t.api(`/chats/${id}/messages/stream`, { method: 'POST', json: { content: 'hi' } });
    const turn = res.headers.get('x-stream-channel');
    await res.text();
    const again = await (await t.api(`/chats/${id}/stream/${turn}`)).text();
    const deltas = [...again.matchAll(/event: message\nid: [\d.]+\ndata: (.*)/g)].map(
      (m) => JSON.parse(m[1]!).content,
    );
    expect(deltas.join('')).to.equal('replay me please');
    expect(again.trim().endsWith('data: {"status":"completed"}')).to.equal(true);
    expect((await t.api(`/chats/${id}/stream/00000000-0000-4000-8000-000000000000`)).status).to.equal(404);
  });

  describe('invoke', () => {
    it('answers a one-shot message', async () => {
      llm.script([{ text: 'one-shot answer' }]);
      const r = await t.api('/agents/turns/enqueue/invoke', { method: 'POST', json: { message: 'hi' } });
      expect(r.status).to.equal(200);
      const body = await r.json();
      expect(body).to.include({ reply: 'one-shot answer', session_key: null });
      expect(body.chat_id).to.be.a('string');
    });

    it('20 concurrent calls with the same new session_key share one chat', async () => {
      const key = `sess-${Date.now()}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.api('/agents/turns/enqueue/invoke', {
            method: 'POST',
            json: { message: `m${i}`, session_key: key },
          }),
        ),
      );
      const bodies = await Promise.all(results.map((r) => r.json()));
      expect(results.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
      expect(new Set(bodies.map((b) => b.chat_id)).size).to.equal(1);
      const chats = await (await t.api('/chats?limit=1000')).json();
      expect(chats.filter((c: { session_key: string }) => c.session_key === key)).to.have.length(1);
      const chat = await (await t.api(`/chats/${bodies[0].chat_id}`)).json();
      expect(chat.messages.filter((m: { role: string }) => m.role === 'user')).to.have.length(20);
    });

    it('reset starts a new chat for the session; bad bodies get a 400', async () => {
      const a = await (
        await t.api('/agents/turns/enqueue/invoke', {
          method: 'POST',
          json: { message: 'x', session_key: 'reset-me' },
        })
      ).json();
      const b = await (
        await t.api('/agents/turns/enqueue/invoke', {
          method: 'POST',
          json: { message: 'y', session_key: 'reset-me', reset: true },
        })
      ).json();
      const c = await (
        await t.api('/agents/turns/enqueue/invoke', {
          method: 'POST',
          json: { message: 'z', session_key: 'reset-me' },
        })
      ).json();
      expect(b.chat_id).not.to.equal(a.chat_id);
      expect(c.chat_id).to.equal(b.chat_id);
      const bad = await t.api('/agents/turns/enqueue/invoke', { method: 'POST', json: { session_key: 'k' } });
      expect(bad.status).to.equal(400);
      expect((await bad.json()).field).to.equal('message');
    });
  });
});
