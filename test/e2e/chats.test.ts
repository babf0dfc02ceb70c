import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('chats with the development model', function () {
  this.timeout(30_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
    await t.api('/api/v1/agents', {
      method: 'POST',
      json: {
        namespace: 'dev',
        name: 'echo',
        system_prompt: 'You are {{ persona }}.',
        input_schema: { type: 'object', properties: { persona: { type: 'string' } }, required: ['persona'] },
      },
    });
  });
  after(async () => t && (await t.stop()));

  it('labels the development model in /health', async () => {
    const h = await (await t.api('/health')).json();
    expect(h.ports.llm.adapter).to.match(/development-model/);
  });

  it('creates a chat, sends a message and gets the reply, recorded with its model and agent version', async () => {
    const created = await t.api('/agents/dev/echo/chats', {
      method: 'POST',
      json: { input: { persona: 'a pirate' } },
    });
    expect(created.status).to.equal(200);
    const chat = await created.json();
    expect(chat).to.include({
      agent_namespace: 'dev',
      agent_name: 'echo',
      title: 'Chat with dev/echo',
      archived: false,
    });
    const reply = await t.api(`/chats/${chat.id}/messages`, {
      method: 'POST',
      json: { content: 'hello there' },
    });
    expect(reply.status).to.equal(200);
    const msg = await reply.json();
    expect(msg).to.include({ role: 'assistant', model: 'sinas-dev-model', agent_version: 1 });
    expect(msg.content).to.equal('[sinas-dev-model] Echo: hello there');
    const full = await (await t.api(`/chats/${chat.id}`)).json();
    expect(full.messages.map((m: { role: string }) => m.role)).to.deep.equal(['user', 'assistant']);
    expect(full.turns[0]).to.include({ status: 'completed', attempt: 1 });
  });

  it('refuses input that does not match the input_schema, naming the path', async () => {
    const r = await t.api('/agents/dev/echo/chats', { method: 'POST', json: { input: { persona: 5 } } });
    expect(r.status).to.equal(400);
    expect((await r.json()).field).to.equal('input.persona');
    const missing = await t.api('/agents/dev/echo/chats', { method: 'POST', json: { input: {} } });
    expect((await missing.json()).field).to.equal('input.persona');
  });
});

describe('chats against a scripted OpenAI-compatible provider', function () {
  this.timeout(30_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: {
        name: 'scripted',
        api_key: 'sk-scripted',
        api_endpoint: llm.url,
        default_model: 'scripted-1',
        is_default: true,
      },
    });
    await t.api('/api/v1/agents', {
      method: 'POST',
      json: {
        namespace: 'sc',
        name: 'bot',
        system_prompt:
          'Be {{ mood }}.{% if tips %} Tips:{% for t in tips %} {{ t|upper }}{% endfor %}{% endif %}',
        temperature: 0.3,
        max_tokens: 77,
        input_schema: { type: 'object', properties: { mood: { type: 'string' }, tips: { type: 'array' } } },
      },
    });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  const newChat = async (input: Record<string, unknown> = { mood: 'kind' }) =>
    (await (await t.api('/agents/sc/bot/chats', { method: 'POST', json: { input } })).json()).id as string;

  it('sends the rendered system prompt, history, temperature and max_tokens to the provider', async () => {
    const id = await newChat({ mood: 'brief', tips: ['a', 'b'] });
    llm.script([{ text: 'first answer' }, { text: 'second answer' }]);
    await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'one' } });
    const r = await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'two' } });
    expect((await r.json()).content).to.equal('second answer');
    const sent = llm.requests[1]!;
    expect(sent.model).to.equal('scripted-1');
    expect(sent.temperature).to.equal(0.3);
    expect(sent.max_tokens).to.equal(77);
    expect(sent.messages).to.deep.equal([
      { role: 'system', content: 'Be brief. Tips: A B' },
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'two' },
    ]);
  });

  it('records a provider failure as a failed turn (502), and the chat stays usable', async () => {
    const id = await newChat();
    llm.script([{ error: { status: 400, message: 'bad things' } }]);
    const r = await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'x' } });
    expect(r.status).to.equal(502);
    expect((await r.json()).detail).to.contain('bad things');
    const chat = await (await t.api(`/chats/${id}`)).json();
    expect(chat.turns[0]).to.include({ status: 'failed' });
    expect(chat.turns[0].error).to.contain('bad things');
    llm.script([{ text: 'recovered' }]);
    const ok = await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'again' } });
    expect((await ok.json()).content).to.equal('recovered');
  });

  it("hides someone else's chat and unknown chats behind a 404", async () => {
    expect((await t.api('/chats/00000000-0000-4000-8000-000000000000')).status).to.equal(404);
    expect((await t.api('/chats/not-a-uuid')).status).to.equal(400);
    expect((await t.api('/agents/sc/nobody/chats', { method: 'POST', json: {} })).status).to.equal(404);
  });
});
