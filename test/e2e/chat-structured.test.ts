import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';

describe('structured output (output_schema)', function () {
  this.timeout(30_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  const schema = {
    type: 'object',
    properties: { answer: { type: 'string' }, score: { type: 'integer' } },
    required: ['answer', 'score'],
  };
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'so', name: 'Judge Bot', system_prompt: 'Judge.', output_schema: schema },
    });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());
  const chat = async () =>
    (await (await t.api('/agents/so/Judge Bot/chats', { method: 'POST', json: {} })).json()).id as string;

  it('asks for JSON matching the schema and accepts a valid reply', async () => {
    llm.script([{ text: '{"answer":"yes","score":3}' }]);
    const id = await chat();
    const r = await (
      await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'judge this' } })
    ).json();
    expect(JSON.parse(r.content)).to.deep.equal({ answer: 'yes', score: 3 });
    const sent = llm.requests[0]!;
    expect(sent.response_format).to.deep.include({ type: 'json_schema' });
    expect(sent.response_format.json_schema).to.include({ name: 'judge_bot_response', strict: true });
    expect(sent.messages[0].content).to.contain('Judge.').and.to.contain('"score"');
  });

  it('corrects an invalid reply once, telling the model what was wrong', async () => {
    llm.script([{ text: '{"answer":"yes"}' }, { text: '{"answer":"yes","score":1}' }]);
    const id = await chat();
    const r = await (
      await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'judge' } })
    ).json();
    expect(JSON.parse(r.content)).to.deep.equal({ answer: 'yes', score: 1 });
    const correction = llm.requests[1]!.messages.at(-1);
    expect(correction.role).to.equal('user');
    expect(correction.content).to.contain('score');
    const full = await (await t.api(`/chats/${id}`)).json();
    expect(full.turns[0]).to.include({ status: 'completed', attempt: 2 });
  });

  it('fails the turn clearly when the correction is invalid too', async () => {
    llm.script([{ text: 'not json' }, { text: '{"answer":5,"score":1}' }]);
    const id = await chat();
    const r = await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'judge' } });
    expect(r.status).to.equal(502);
    expect((await r.json()).detail).to.match(/did not match output_schema: answer/);
  });
});

describe('Jinja2 templates (nunjucks)', function () {
  this.timeout(30_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    const system_prompt = [
      'Hello {{ user_name | default("friend") }}!',
      '{% if vip %}',
      'VIP customer.',
      '{% else %}',
      'Regular customer.',
      '{% endif %}',
      '{% for item in items %}',
      '- {{ loop.index }}. {{ item.name | title }} ({{ item.price | round(1) }})',
      '{% endfor %}',
      'Topics: {{ topics | join(", ") | upper }}; count {{ items | length }}; note {{ note }}',
      '{% for k, v in extra.items() %}{{ k }}={{ v }} {% endfor %}{{ topics[1:] | join }}',
    ].join('\n');
    await t.api('/api/v1/agents', {
      method: 'POST',
      json: {
        namespace: 'tpl',
        name: 'shop',
        system_prompt,
        initial_messages: [{ role: 'assistant', content: 'Welcome back, {{ user_name }}.' }],
      },
    });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });

  it('renders conditionals, loops, filters, defaults and autoescaping like Jinja2 with trim_blocks/lstrip_blocks', async () => {
    const input = {
      user_name: 'Ada',
      vip: true,
      items: [
        { name: 'red apple', price: 1.26 },
        { name: 'pear', price: 2.34 },
      ],
      topics: ['fruit', 'veg'],
      note: '<b>&</b>',
      extra: { a: 1 },
    };
    const id = (await (await t.api('/agents/tpl/shop/chats', { method: 'POST', json: { input } })).json()).id;
    await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content: 'hi' } });
    const [system, initial] = llm.requests[0]!.messages;
    expect(system.content).to.equal(
      'Hello Ada!\nVIP customer.\n- 1. Red Apple (1.3)\n- 2. Pear (2.3)\nTopics: FRUIT, VEG; count 2; note &lt;b&gt;&amp;&lt;/b&gt;\na=1 veg',
    );
    expect(initial).to.deep.equal({ role: 'assistant', content: 'Welcome back, Ada.' });
  });
});
