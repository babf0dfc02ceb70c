/**
 * A resume point that is not an event id the server sent (`Last-Event-ID: garbage`, `?after=abc`)
 * is a 400 naming it on every route that streams events, never a silent replay from the start; on
 * the routes that post a message, nothing is posted. Every SSE route is listed here: the chat's
 * events, a turn's stream, the POST that sends a message and streams its turn, and the OpenAI
 * adapter's streamed chat completions (execution results are polled, not streamed).
 */
import { expect } from 'chai';
import { startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';

describe('SSE resume ids: a malformed Last-Event-ID or ?after= is a 400 on every stream', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let chatId = '';
  let turnId = '';

  before(async () => {
    t = await startTestPlatform();
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'rs', name: 'bot' } });
    chatId = (await (await t.api('/agents/rs/bot/chats', { method: 'POST', json: {} })).json()).id;
    turnId = (
      await (await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'hi' } })).json()
    ).turn_id;
  });
  after(async () => t?.stop());

  /** The problem a refused request answers with; a stream that opened instead is closed first. */
  const refused = async (r: JsonResponse, field: string) => {
    if (r.status === 200) await r.body?.cancel(); // an event stream: would never end by itself
    expect(r.status, `${r.url} ${field}`).to.equal(400);
    expect(r.headers.get('content-type')).to.match(/problem\+json/);
    expect((await r.json()).field).to.equal(field);
  };
  const messageCount = async () => (await (await t.api(`/chats/${chatId}`)).json()).messages.length;
  const routes = () => [
    { name: 'chat events', path: `/chats/${chatId}/events` },
    { name: "a turn's stream", path: `/chats/${chatId}/stream/${turnId}` },
    {
      name: 'send and stream',
      path: `/chats/${chatId}/messages/stream`,
      method: 'POST',
      json: { content: 'never posted' },
    },
  ];

  for (const bad of ['garbage', '12abc', '-1', '1.2.3']) {
    it(`refuses Last-Event-ID: ${bad} on every chat stream`, async () => {
      const before = await messageCount();
      for (const r of routes())
        await refused(await t.api(r.path, { ...r, headers: { 'last-event-id': bad } }), 'Last-Event-ID');
      expect(await messageCount()).to.equal(before);
    });

    it(`refuses ?after=${bad} on every chat stream`, async () => {
      const before = await messageCount();
      for (const r of routes())
        await refused(await t.api(`${r.path}?after=${encodeURIComponent(bad)}`, r), 'after');
      expect(await messageCount()).to.equal(before);
    });
  }

  it("refuses a malformed Last-Event-ID on the OpenAI adapter's streamed completions, starting no turn", async () => {
    const chats = async () => (await (await t.api('/chats')).json()).length;
    const before = await chats();
    const r = await t.api('/adapters/openai/v1/chat/completions', {
      method: 'POST',
      headers: { 'last-event-id': 'garbage' },
      json: { model: 'agent:rs/bot', stream: true, messages: [{ role: 'user', content: 'hi' }] },
    });
    await refused(r, 'Last-Event-ID');
    expect(await chats()).to.equal(before);
  });

  it('still resumes from an id the server sent', async () => {
    const r = await t.api(`/chats/${chatId}/stream/${turnId}`, { headers: { 'last-event-id': '0' } });
    expect(r.status).to.equal(200);
    const text = await r.text(); // a finished turn's stream ends after its last frame
    expect(text).to.contain('event: AssistantMessageCompleted');
    expect(text).to.contain('event: done');
  });
});
