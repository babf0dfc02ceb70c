/**
 * Two workers run the same turn at once (a redelivered job, or two wake-ups after approvals, in
 * two processes): each starts its model call while its TurnStarted commits, both expecting the same
 * attempt. One TurnStarted lands as predicted; the other, decided again on the conflict, lands as
 * the next attempt and takes the turn over. The turn must still end with one reply, and what a
 * client assembled from the deltas of the attempt it followed last must equal that reply: the
 * other worker's deltas never reach it.
 */
import { expect } from 'chai';
import type { ChatService } from '../../src/commands/chat/chat-service.js';
import type { TurnRunner } from '../../src/runtime/turns/turn-runner.js';
import {
  ADMIN_KEY,
  anotherTurnWorker,
  startTestPlatform,
  useProvider,
  type TestPlatform,
} from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { until } from '../support/until.js';

interface Frame {
  readonly event: string;
  readonly data: string;
}

/** SSE frames of GET /chats/{id}/events?after=..., until the chat's reply to the turn. */
async function framesUntilReply(url: string): Promise<Frame[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { 'x-api-key': ADMIN_KEY }, signal: controller.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended before the reply');
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (!event) continue;
      frames.push({ event, data });
      if (event === 'AssistantMessageCompleted' || event === 'TurnFailed') {
        controller.abort();
        return frames;
      }
    }
  }
}

/** The text a client assembles: the deltas after the last TurnStarted (a new attempt starts over). */
function assembled(frames: readonly Frame[]): string {
  let text = '';
  for (const f of frames) {
    if (f.event === 'TurnStarted') text = '';
    if (f.event === 'message') text += (JSON.parse(f.data) as { content: string | null }).content ?? '';
  }
  return text;
}

describe('two workers run the same turn at once', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let chats: ChatService;
  let second: TurnRunner;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'race', name: 'bot' } });
    chats = t.platform.services.chats;
    second = anotherTurnWorker(t);
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });

  it('ends each turn with one reply, and the deltas a client followed spell it exactly', async () => {
    const chat = await (await t.api('/agents/race/bot/chats', { method: 'POST', json: {} })).json();
    const ctx = (n: number) => ({ commandId: `race-${chat.id}-${n}`, actor: chat.user_id as string });
    for (let n = 0; n < 6; n++) {
      llm.script([
        { text: `first worker says ${n} in four parts`, chunks: 4, chunkDelayMs: 15 },
        { text: `second worker answers ${n} in four parts`, chunks: 4, chunkDelayMs: 15 },
      ]);
      const posted = await chats.postMessage(chat.id, { content: `go ${n}` }, ctx(n));
      // the same tick as the platform's own worker gets the job: both read the turn unstarted
      const raced = second.run(chat.id, posted.turnId);
      const frames = await framesUntilReply(`${t.url}/chats/${chat.id}/events?after=${posted.revision}`);
      await raced;
      const reply = frames.at(-1)!;
      expect(reply.event, `turn ${n}`).to.equal('AssistantMessageCompleted');
      const content = (JSON.parse(reply.data) as { content: string }).content;
      expect(content).to.match(/worker (says|answers) \d in four parts/);
      expect(assembled(frames), `turn ${n}: the deltas followed`).to.equal(content);
      expect(frames.filter((f) => f.event === 'AssistantMessageCompleted')).to.have.length(1);
      llm.reset();
    }
    // the stream showed each reply; the chat's read model follows them (GET carries no position to wait for)
    let stored: { messages: { role: string }[]; turns: { status: string }[] } = { messages: [], turns: [] };
    await until('the chat read model shows six replies', async () => {
      stored = await (await t.api(`/chats/${chat.id}`)).json();
      return stored.messages.filter((m) => m.role === 'assistant').length >= 6;
    });
    expect(stored.messages.filter((m: { role: string }) => m.role === 'assistant')).to.have.length(6);
    expect(stored.turns.map((x: { status: string }) => x.status)).to.deep.equal(Array(6).fill('completed'));
  });
});
