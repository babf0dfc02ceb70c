/**
 * A turn's stream (GET /chats/{id}/stream/{turn}) ends: resumed from any id of a finished turn it
 * sends what is left of the turn, then `done` (or `error`) and closes; it never carries another
 * turn's frames, whether the other turn came before, meanwhile or after.
 */
import { expect } from 'chai';
import { ADMIN_KEY, startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { until } from '../support/until.js';
import { parseSse, type Frame } from '../support/sse-frames.js';

describe('a turn stream ends', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'ends', name: 'talker' } });
    const refund = await t.api('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'ends',
        name: 'refund',
        code: 'def handler(input_data, context):\n    return input_data',
        input_schema: { type: 'object', properties: { amount: { type: 'number' } } },
        requires_approval: true,
      },
    });
    expect(refund.status).to.equal(201);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'ends', name: 'approver', enabled_functions: ['ends/refund'] },
    });
    expect(agent.status).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  const newChat = async () =>
    (await (await t.api('/agents/ends/talker/chats', { method: 'POST', json: {} })).json()).id as string;
  /** posts a message with POST .../messages/stream: the turn's id and its frames to the end */
  const streamed = async (chatId: string, content: string) => {
    const res = await t.api(`/chats/${chatId}/messages/stream`, { method: 'POST', json: { content } });
    return { turnId: res.headers.get('x-stream-channel')!, frames: parseSse(await res.text()) };
  };
  const turnStream = (chatId: string, turnId: string, lastEventId?: string) =>
    openStream(`${t.url}/chats/${chatId}/stream/${turnId}`, lastEventId);
  const idOf = (frames: Frame[], event: string) => frames.find((f) => f.event === event)!.id;

  it('a resume at the turn’s completion sends done and closes', async () => {
    const chatId = await newChat();
    llm.script([{ text: 'all of it', chunks: 3 }]);
    const { turnId, frames } = await streamed(chatId, 'hi');
    const completed = idOf(frames, 'AssistantMessageCompleted');
    const resumed = await (await turnStream(chatId, turnId, completed)).rest();
    expect(names(resumed)).to.deep.equal(['done']);
    expect(JSON.parse(resumed[0]!.data)).to.deep.equal({ status: 'completed' });
    const after = await (
      await openStream(`${t.url}/chats/${chatId}/stream/${turnId}?after=${completed}`)
    ).rest();
    expect(names(after)).to.deep.equal(['done']);
  });

  it('a resume past the turn’s end (a later turn’s durable or delta id, an id never sent) sends done and closes', async () => {
    const chatId = await newChat();
    llm.script([
      { text: 'first reply', chunks: 2 },
      { text: 'second reply', chunks: 2 },
    ]);
    const first = await streamed(chatId, 'one');
    const second = await streamed(chatId, 'two');
    const completed = BigInt(idOf(first.frames, 'AssistantMessageCompleted'));
    const laterDelta = second.frames.find((f) => f.event === 'message' && f.id.includes('.'))!.id;
    for (const id of [`${completed + 1n}`, laterDelta, idOf(second.frames, 'AssistantMessageCompleted')])
      expect(names(await (await turnStream(chatId, first.turnId, id)).rest()), id).to.deep.equal(['done']);
    for (const id of ['1000000', '999999999999999999'])
      expect(names(await (await turnStream(chatId, second.turnId, id)).rest()), id).to.deep.equal(['done']);
    // an id no revision can have is bad input, named as such
    const tooBig = await fetch(`${t.url}/chats/${chatId}/stream/${second.turnId}`, {
      headers: { 'x-api-key': ADMIN_KEY, 'last-event-id': '99999999999999999999999' },
    });
    expect(tooBig.status).to.equal(400);
    expect(((await tooBig.json()) as { field: string }).field).to.equal('Last-Event-ID');
  });

  it('a resume from a delta id of a finished turn sends the rest of its deltas, its reply, then done', async () => {
    const chatId = await newChat();
    llm.script([{ text: 'one two three', chunks: 3 }]);
    const { turnId, frames } = await streamed(chatId, 'count');
    const deltas = frames.filter((f) => f.event === 'message');
    expect(deltas).to.have.length(3);
    const rest = await (await turnStream(chatId, turnId, deltas[0]!.id)).rest();
    expect(rest.map((f) => `${f.event} ${f.id}`)).to.deep.equal([
      `message ${deltas[1]!.id}`,
      `message ${deltas[2]!.id}`,
      `AssistantMessageCompleted ${idOf(frames, 'AssistantMessageCompleted')}`,
      'done ',
    ]);
  });

  it('a resume from before the turn began sends only the turn’s own frames', async () => {
    const chatId = await newChat();
    llm.script([{ text: 'earlier' }, { text: 'this one', chunks: 2 }]);
    const earlier = await streamed(chatId, 'first');
    const { turnId } = await streamed(chatId, 'second');
    const frames = await (await turnStream(chatId, turnId, '0')).rest();
    expect(frames.flatMap((f) => turnIdOf(f) ?? [])).to.not.include(earlier.turnId);
    const deltas = frames.filter((f) => f.event === 'message').map((f) => JSON.parse(f.data).content);
    expect(deltas.join('')).to.equal('this one');
    expect(names(frames).at(-1)).to.equal('done');
  });

  it('the stream of a finished turn sees nothing of the next message and its turn', async () => {
    const chatId = await newChat();
    llm.script([{ text: 'before' }, { text: 'after', chunks: 2 }]);
    const { turnId, frames } = await streamed(chatId, 'first');
    const stream = await turnStream(chatId, turnId, idOf(frames, 'AssistantMessageCompleted'));
    expect(
      (await (await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'next' } })).json())
        .content,
    ).to.equal('after');
    // up to the close, or up to the first frame of another turn (the old stream never closed)
    const seen = await stream.until((f) => f.event === 'done' || (turnIdOf(f) ?? turnId) !== turnId);
    expect(names(seen)).to.deep.equal(['done']);
  });

  it('a message posted while the turn runs stays out of the turn’s stream', async () => {
    const chatId = await newChat();
    llm.script([{ hangAfterChunks: 1 }, { text: 'second reply' }]);
    const res = await t.api(`/chats/${chatId}/messages/stream`, {
      method: 'POST',
      json: { content: 'first' },
    });
    const second = t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'second' } });
    await until('the second message to be recorded', async () =>
      (await (await t.api(`/chats/${chatId}`)).json()).messages.some(
        (m: { content: string }) => m.content === 'second',
      ),
    );
    expect((await t.api(`/chats/${chatId}/cancel`, { method: 'POST' })).status).to.equal(200);
    const frames = parseSse(await res.text());
    const turnId = res.headers.get('x-stream-channel');
    expect(frames.filter((f) => turnIdOf(f) !== undefined && turnIdOf(f) !== turnId)).to.deep.equal([]);
    expect(frames.at(-1)).to.deep.include({ event: 'done', data: '{"status":"cancelled"}' });
    expect((await (await second).json()).content).to.equal('second reply');
  });

  it('a turn waiting for an approval: resumed after its request, the stream ends with done awaiting_approval', async () => {
    const chatId = (await (await t.api('/agents/ends/approver/chats', { method: 'POST', json: {} })).json())
      .id as string;
    llm.script([{ toolCalls: [{ id: 'call_wait', name: 'ends__refund', arguments: { amount: 2 } }] }]);
    const { turnId, frames } = await streamed(chatId, 'refund 2');
    expect(frames.at(-1)).to.deep.include({ event: 'done', data: '{"status":"awaiting_approval"}' });
    const requested = idOf(frames, 'approval_required');
    for (const id of [undefined, requested]) {
      const again = await (await turnStream(chatId, turnId, id)).rest();
      expect(again.at(-1), `resumed at ${id}`).to.deep.include({
        event: 'done',
        data: '{"status":"awaiting_approval"}',
      });
    }
  });

  it('a failed turn’s stream ends with error, from the start and resumed at its failure', async () => {
    const chatId = await newChat();
    llm.script([{ error: { status: 401, message: 'bad key' } }]);
    const { turnId, frames } = await streamed(chatId, 'hi');
    expect(frames.at(-1)!.event).to.equal('error');
    for (const id of [undefined, idOf(frames, 'TurnFailed')]) {
      const again = await (await turnStream(chatId, turnId, id)).rest();
      expect(again.at(-1)!.event, `resumed at ${id}`).to.equal('error');
      expect(again.at(-1)!.data).to.contain('bad key');
    }
  });
});

const names = (frames: Frame[]) => frames.map((f) => f.event);

/** the turn a durable frame belongs to (deltas and chat-level events name none) */
function turnIdOf(f: Frame): string | undefined {
  if (!f.data.startsWith('{')) return undefined;
  return (JSON.parse(f.data) as { turnId?: string }).turnId;
}

/** An SSE response read as far as asked: to its close, or to the first frame a predicate picks. */
async function openStream(url: string, lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = { 'x-api-key': ADMIN_KEY };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const res = await fetch(url, { headers, signal: controller.signal });
  expect(res.status).to.equal(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const read = async (stop: (f: Frame) => boolean): Promise<Frame[]> => {
    for (;;) {
      const frames = parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
      if (frames.some(stop)) {
        controller.abort();
        return frames;
      }
      const { value, done } = await reader.read();
      if (done) return parseSse(text);
      text += decoder.decode(value, { stream: true });
    }
  };
  return { rest: () => read(() => false), until: read };
}
