/** SSE that resumes from any event: a real EventSource client loses its connection mid-turn. */
import { expect } from 'chai';
import { EventSource } from 'eventsource';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy.js';
import { ADMIN_KEY, startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { redisUrl, skipLoudly } from '../support/skip.js';
import { parseSse, type Frame } from '../support/sse-frames.js';

for (const variant of ['in-process queue and memory bus', 'BullMQ and Redis Streams'] as const)
  describe(`chat SSE (${variant})`, function () {
    this.timeout(60_000);
    let t: TestPlatform;
    let llm: ScriptedLlm;
    let proxy: CuttableProxy;
    before(async function () {
      const redis = redisUrl();
      if (variant !== 'in-process queue and memory bus' && !redis)
        return skipLoudly(this as unknown as Mocha.Context, 'redis-server', 'the Redis variant needs Redis');
      llm = await startScriptedLlm();
      t = await startTestPlatform(variant === 'BullMQ and Redis Streams' ? { REDIS_URL: redis! } : {});
      proxy = await startCuttableProxy(Number(new URL(t.url).port));
      await useProvider(t, llm.url);
      await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'sse', name: 'talker' } });
    });
    after(async () => {
      await proxy?.stop();
      await t?.stop();
      await llm?.stop();
    });

    const newChat = async () =>
      (await (await t.api('/agents/sse/talker/chats', { method: 'POST', json: {} })).json()).id as string;
    const authFetch: typeof fetch = (input, init) =>
      fetch(input, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), 'x-api-key': ADMIN_KEY },
      });

    it('an EventSource client cut off mid-turn resumes by itself; its assembled text equals the stored message', async () => {
      const id = await newChat();
      const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
      llm.script([{ text: words, chunks: 40, chunkDelayMs: 25 }]);
      const es = new EventSource(`${proxy.url}/chats/${id}/events`, { fetch: authFetch });
      let assembled = '';
      const ids: string[] = [];
      let cuts = 0;
      const done = new Promise<string>((resolve, reject) => {
        es.addEventListener('message', (e) => {
          ids.push(e.lastEventId);
          assembled += JSON.parse(e.data).content ?? '';
          if (ids.length === 8 && cuts === 0) {
            cuts++;
            proxy.cut();
          }
        });
        es.addEventListener('AssistantMessageCompleted', (e) => resolve(JSON.parse(e.data).content));
        es.addEventListener('TurnFailed', (e) => reject(new Error(e.data)));
      });
      await new Promise((r) => setTimeout(r, 100));
      const post = t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'talk' } });
      const stored = await done;
      es.close();
      await post;
      expect(cuts).to.equal(1);
      expect(stored).to.equal(words);
      expect(assembled).to.equal(stored);
      expect(new Set(ids).size, 'no delta twice').to.equal(ids.length);
      const chat = await (await t.api(`/chats/${id}`)).json();
      expect(chat.messages.at(-1).content).to.equal(assembled);
    });

    it('replays a finished chat from any offset long after the turn', async () => {
      const id = await newChat();
      llm.script([
        { text: 'alpha beta', chunks: 2 },
        { text: 'gamma', chunks: 1 },
      ]);
      await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'one' } });
      await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'two' } });
      const frames = await readSse(
        `${t.url}/chats/${id}/events?after=2`,
        (f) => f.event === 'AssistantMessageCompleted' && f.data.includes('gamma'),
      );
      const durable = frames.filter((f) => !f.id.includes('.'));
      expect(durable.map((f) => f.event)).to.deep.equal([
        'AssistantMessageCompleted',
        'UserMessagePosted',
        'TurnStarted',
        'AssistantMessageCompleted',
      ]);
      expect(durable.map((f) => Number(f.id))).to.deep.equal([3, 4, 5, 6]);
      const deltas = frames.filter((f) => f.id.startsWith('5.'));
      expect(deltas.map((f) => JSON.parse(f.data).content).join('')).to.equal('gamma');
    });

    it('streams a reply with POST .../messages/stream and ends with done', async () => {
      const id = await newChat();
      llm.script([{ text: 'streamed reply here', chunks: 3 }]);
      const res = await t.api(`/chats/${id}/messages/stream`, { method: 'POST', json: { content: 'hi' } });
      expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
      const frames = parseSse(await res.text());
      expect(
        frames
          .filter((f) => f.event === 'message')
          .map((f) => JSON.parse(f.data).content)
          .join(''),
      ).to.equal('streamed reply here');
      expect(frames.at(-1)).to.deep.include({ event: 'done' });
    });

    it('ends the stream with error when the model fails', async () => {
      const id = await newChat();
      llm.script([{ error: { status: 401, message: 'bad key' } }]);
      const res = await t.api(`/chats/${id}/messages/stream`, { method: 'POST', json: { content: 'hi' } });
      const frames = parseSse(await res.text());
      expect(frames.at(-1)!.event).to.equal('error');
      expect(frames.at(-1)!.data).to.contain('bad key');
    });
  });

async function readSse(url: string, until: (f: Frame) => boolean): Promise<Frame[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { 'x-api-key': ADMIN_KEY }, signal: controller.signal });
  const reader = res.body!.getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const frames = parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
    if (frames.some(until)) {
      controller.abort();
      return frames;
    }
  }
  return parseSse(text);
}
