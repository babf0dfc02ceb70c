/**
 * The tool loop in chats: a model reply with two tool calls runs them in parallel as executions,
 * one after an approval; the approval's approver and reason are in GET /chats/{id} and in the event
 * history; results go back to the model; SSE carries tool_start / tool_end / approval_required.
 */
import { expect } from 'chai';
import { Platform } from '../../src/runtime/platform.js';
import { pino } from 'pino';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { ADMIN_KEY, startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';

const LOOKUP = `
def handler(input_data, context):
    return {"city": input_data["city"], "temp": 21, "units": input_data.get("units")}
`;
const REFUND = `
def handler(input_data, context):
    return {"refunded": input_data["amount"], "chat": context["chat_id"]}
`;

describe('chat tool calls', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    const fn = (name: string, code: string, props: object, extra: object = {}) =>
      t.api('/api/v1/functions', {
        method: 'POST',
        json: {
          namespace: 'shop',
          name,
          code,
          input_schema: { type: 'object', properties: props },
          ...extra,
        },
      });
    expect(
      (await fn('lookup', LOOKUP, { city: { type: 'string' }, units: { type: 'string' } })).status,
    ).to.equal(201);
    expect(
      (await fn('refund', REFUND, { amount: { type: 'number' } }, { requires_approval: true })).status,
    ).to.equal(201);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: {
        namespace: 'shop',
        name: 'helper',
        enabled_functions: ['shop/lookup', 'shop/refund'],
        function_parameters: { 'shop/lookup': { units: { value: 'celsius', locked: true } } },
        status_templates: { 'function:shop/lookup': 'Looking up {{ city }}' },
      },
    });
    expect(agent.status).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  const newChat = async () =>
    (await (await t.api('/agents/shop/helper/chats', { method: 'POST', json: {} })).json()).id as string;

  it('streams an agent completion through its tool round to the final reply (OpenAI adapter)', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_weather', name: 'shop__lookup', arguments: { city: 'Oslo' } }] },
      { text: 'It is 21 degrees in Oslo.', chunks: 3 },
    ]);
    const res = await t.api('/adapters/openai/v1/chat/completions', {
      method: 'POST',
      json: { model: 'agent:shop/helper', stream: true, messages: [{ role: 'user', content: 'weather?' }] },
    });
    expect(res.status).to.equal(200);
    const chunks = (await res.text())
      .split('\n\n')
      .filter((b) => b.startsWith('data: ') && b !== 'data: [DONE]')
      .map(
        (b) =>
          JSON.parse(b.slice(6)) as { choices: { delta: { content?: string }; finish_reason: string }[] },
      );
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).to.equal('It is 21 degrees in Oslo.');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).to.equal('stop');
    expect(llm.requests).to.have.length(2); // the tool's result went back to the model
  });

  it('runs two calls in parallel, one after approval; who approved and why is recorded', async () => {
    llm.script([
      {
        toolCalls: [
          { id: 'call_lookup', name: 'shop__lookup', arguments: { city: 'Oslo', units: 'kelvin' } },
          { id: 'call_refund', name: 'shop__refund', arguments: { amount: 12.5 } },
        ],
      },
      { text: 'Done: refunded and looked up.' },
    ]);
    const chatId = await newChat();
    const first = await t.api(`/chats/${chatId}/messages`, {
      method: 'POST',
      json: { content: 'refund and weather' },
    });
    expect(first.status).to.equal(200);
    const pending = await first.json();
    expect(pending.status).to.equal('awaiting_approval');
    expect(pending.pending_approvals.map((p: { tool_call_id: string }) => p.tool_call_id)).to.deep.equal([
      'call_refund',
    ]);
    // the model saw the tools, without the locked parameter
    const tools = llm.requests[0]!.tools as {
      function: { name: string; parameters: { properties: object } };
    }[];
    expect(tools.map((x) => x.function.name)).to.deep.equal([
      'shop__lookup',
      'shop__refund',
      'retrieve_tool_result',
    ]);
    expect(tools[0]!.function.parameters.properties).to.not.have.property('units');

    const chat = await (await t.api(`/chats/${chatId}`)).json();
    expect(chat.pending_approvals).to.have.length(1);

    const approve = await t.api(`/chats/${chatId}/approve-tool/call_refund`, {
      method: 'POST',
      json: { approved: true, reason: 'customer was double charged' },
    });
    expect(approve.status).to.equal(202);
    const again = await t.api(`/chats/${chatId}/approve-tool/call_refund`, {
      method: 'POST',
      json: { approved: true },
    });
    expect(again.status).to.equal(409);
    const unknown = await t.api(`/chats/${chatId}/approve-tool/call_nope`, {
      method: 'POST',
      json: { approved: true },
    });
    expect(unknown.status).to.equal(409);

    // the turn goes on to its final reply
    let final:
      { messages: { role: string; content: string }[]; tool_calls: Record<string, unknown>[] } | undefined;
    for (let i = 0; i < 200; i++) {
      const c = await (await t.api(`/chats/${chatId}`)).json();
      if (c.turns[0].status === 'completed') {
        final = c;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(final, 'the turn completed').to.not.equal(undefined);
    expect(final!.messages.at(-1)!.content).to.equal('Done: refunded and looked up.');
    const calls = Object.fromEntries(final!.tool_calls.map((c) => [c.tool_call_id, c])) as Record<
      string,
      {
        status: string;
        result: string;
        approval: { status: string; reason: string; decided_by: string } | null;
        arguments: object;
        description: string;
      }
    >;
    expect(calls.call_refund!.approval).to.include({
      status: 'approved',
      reason: 'customer was double charged',
      decided_by: chat.user_id,
    });
    expect(calls.call_lookup!.approval).to.equal(null);
    expect(calls.call_lookup!.arguments).to.deep.equal({ city: 'Oslo', units: 'celsius' }); // locked wins
    expect(calls.call_lookup!.description).to.equal('Looking up Oslo');
    expect(JSON.parse(calls.call_lookup!.result)).to.deep.equal({ city: 'Oslo', temp: 21, units: 'celsius' });
    expect(JSON.parse(calls.call_refund!.result)).to.deep.equal({ refunded: 12.5, chat: chatId });

    // the continuation call carried both results
    const second = llm.requests[1]!.messages as { role: string; tool_call_id?: string; content: string }[];
    const results = second.filter((m) => m.role === 'tool').map((m) => m.tool_call_id);
    expect(results).to.deep.equal(['call_lookup', 'call_refund']);

    // the event history holds the decision: who, when, why
    const events = await t.platform.services.eventStore.readStream(`chat-${chatId}`);
    const decided = events.find((r) => r.type === 'ToolApprovalDecided')!;
    expect(decided.data).to.include({
      toolCallId: 'call_refund',
      approved: true,
      reason: 'customer was double charged',
    });
    expect((decided.data as { by: string }).by).to.be.a('string');
    expect(decided.metadata.actor).to.equal((decided.data as { by: string }).by);
    const types = events.map((r) => r.type);
    expect(types).to.include.members(['ToolApprovalRequested', 'ToolCallStarted', 'ToolCallCompleted']);
    await executionsCaughtUp(t); // the list is the read model; the turn ended on the chat's stream
    const executions = await (await t.api(`/executions?chat_id=${chatId}`)).json();
    expect(executions).to.have.length(2);
    expect(executions.every((e: { trigger_type: string }) => e.trigger_type === 'AGENT')).to.equal(true);
  });

  it('a rejected call is answered with the rejection, and the turn goes on', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_r2', name: 'shop__refund', arguments: { amount: 99 } }] },
      { text: 'I could not refund that.' },
    ]);
    const chatId = await newChat();
    const r = await (
      await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'refund 99' } })
    ).json();
    expect(r.status).to.equal('awaiting_approval');
    await t.api(`/chats/${chatId}/approve-tool/call_r2`, {
      method: 'POST',
      json: { approved: false, reason: 'too much' },
    });
    for (let i = 0; i < 200; i++) {
      const c = await (await t.api(`/chats/${chatId}`)).json();
      if (c.turns[0].status === 'completed') {
        expect(c.tool_calls[0].status).to.equal('rejected');
        expect(c.tool_calls[0].execution_id).to.equal(null);
        expect(c.messages.at(-1).content).to.equal('I could not refund that.');
        const toolMsg = (llm.requests[1]!.messages as { role: string; content: string }[]).find(
          (m) => m.role === 'tool',
        );
        expect(toolMsg!.content).to.contain('too much');
        return;
      }
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error('the turn did not complete');
  });

  it('streams tool_start and tool_end frames, then the continuation, then done', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_s', name: 'shop__lookup', arguments: { city: 'Rome' } }] },
      { text: 'It is 21 degrees in Rome.' },
    ]);
    const chatId = await newChat();
    const res = await fetch(`${t.url}/chats/${chatId}/messages/stream`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'weather in Rome' }),
    });
    const text = await res.text();
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    const order = ['tool_start', 'tool_end', 'done'].map((e) => events.indexOf(e));
    expect(order.every((i) => i >= 0)).to.equal(true);
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    expect(text).to.contain('"description":"Looking up Rome"');
    expect(text).to.contain('It is 21 degrees');
  });

  it('a stream ends with done awaiting_approval; invoke returns the pending state; reconnecting after the decision streams the rest', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_st', name: 'shop__refund', arguments: { amount: 3 } }] },
      { text: 'refunded 3' },
    ]);
    const chatId = await newChat();
    const res = await fetch(`${t.url}/chats/${chatId}/messages/stream`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'refund 3' }),
    });
    const turnId = res.headers.get('x-stream-channel');
    const text = await res.text();
    expect(text).to.contain('event: approval_required');
    expect(text).to.match(/event: done\ndata: \{"status":"awaiting_approval"\}/);
    const approve = await (
      await t.api(`/chats/${chatId}/approve-tool/call_st`, {
        method: 'POST',
        json: { approved: true, reason: 'ok' },
      })
    ).json();
    expect(approve.channel_id).to.equal(turnId);
    const rest = await (
      await fetch(`${t.url}/chats/${chatId}/stream/${turnId}`, { headers: { 'x-api-key': ADMIN_KEY } })
    ).text();
    expect(rest).to.contain('event: tool_end');
    expect(rest).to.contain('refunded 3');
    expect(rest).to.match(/event: done\ndata: \{"status":"completed"\}/);

    llm.script([{ toolCalls: [{ id: 'call_inv', name: 'shop__refund', arguments: { amount: 4 } }] }]);
    const inv = await (
      await t.api('/agents/shop/helper/invoke', {
        method: 'POST',
        json: { message: 'refund 4', session_key: 'inv-1' },
      })
    ).json();
    expect(inv.status).to.equal('awaiting_approval');
    expect(inv.pending_approvals.map((p: { tool_call_id: string }) => p.tool_call_id)).to.deep.equal([
      'call_inv',
    ]);
  });

  it('an unknown tool name gets an error result and the turn still ends', async () => {
    llm.script([{ toolCalls: [{ id: 'call_x', name: 'shop__nope', arguments: {} }] }, { text: 'Sorry.' }]);
    const chatId = await newChat();
    const r = await (
      await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'x' } })
    ).json();
    expect(r.content).to.equal('Sorry.');
    const toolMsg = (llm.requests[1]!.messages as { role: string; content: string }[]).find(
      (m) => m.role === 'tool',
    );
    expect(toolMsg!.content).to.contain('Unauthorized tool call');
  });
});

describe('chat tool calls: limits and restarts', function () {
  this.timeout(120_000);
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
  });
  after(async () => llm?.stop());

  const setUp = async (t: TestPlatform) => {
    await useProvider(t, llm.url);
    await t.api('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'ops',
        name: 'ping',
        code: 'def handler(input_data, context):\n    return "pong"\n',
        input_schema: { type: 'object' },
        requires_approval: true,
      },
    });
    await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'ops', name: 'bot', enabled_functions: ['ops/ping'] },
    });
    return (await (await t.api('/agents/ops/bot/chats', { method: 'POST', json: {} })).json()).id as string;
  };

  it('ends a turn whose model keeps calling tools after the round limit, with the reason', async () => {
    const t = await startTestPlatform({ SINAS_MAX_TOOL_ROUNDS: '2' });
    try {
      const chatId = await setUp(t);
      await t.api('/api/v1/functions/ops/ping', { method: 'PUT', json: { requires_approval: false } });
      const call = (id: string) => ({ toolCalls: [{ id, name: 'ops__ping', arguments: {} }] });
      llm.script([call('c1'), call('c2'), call('c3')]);
      const r = await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'loop' } });
      expect(r.status).to.equal(502);
      expect((await r.json()).detail).to.match(/Tool iteration limit \(2\) reached/);
      expect(llm.requests).to.have.length(3);
    } finally {
      llm.reset();
      await t.stop();
    }
  });

  it('cancelling a turn cancels the execution its tool call waits for', async () => {
    const t = await startTestPlatform();
    try {
      const chatId = await setUp(t);
      await t.api('/api/v1/functions', {
        method: 'POST',
        json: {
          namespace: 'ops',
          name: 'sleepy',
          code: 'import time\ndef handler(input_data, context):\n    time.sleep(60)\n',
          input_schema: { type: 'object' },
        },
      });
      await t.api('/api/v1/agents/ops/bot', { method: 'PUT', json: { enabled_functions: ['ops/sleepy'] } });
      llm.script([{ toolCalls: [{ id: 'c_sleep', name: 'ops__sleepy', arguments: {} }] }]);
      const reply = t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'sleep' } });
      let executionId: string | undefined;
      for (let i = 0; i < 400 && !executionId; i++) {
        const c = await (await t.api(`/chats/${chatId}`)).json();
        executionId = c.tool_calls?.[0]?.execution_id ?? undefined;
        if (!executionId) await new Promise((r) => setTimeout(r, 25));
      }
      expect(executionId, 'the tool call started').to.be.a('string');
      expect((await t.api(`/chats/${chatId}/cancel`, { method: 'POST' })).status).to.equal(200);
      expect((await reply).status).to.equal(409); // the waiting send learns its turn was cancelled
      for (let i = 0; i < 400; i++) {
        const e = await (await t.api(`/executions/${executionId}`)).json();
        if (e.status === 'CANCELLED') return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the execution was not cancelled');
    } finally {
      llm.reset();
      await t.stop();
    }
  });

  it('an approval waits across a restart of the platform; the decision after it resumes the turn', async () => {
    const t = await startTestPlatform();
    let second: Platform | undefined;
    try {
      const chatId = await setUp(t);
      llm.script([{ toolCalls: [{ id: 'c_wait', name: 'ops__ping', arguments: {} }] }, { text: 'pinged' }]);
      const r = await (
        await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'ping' } })
      ).json();
      expect(r.status).to.equal('awaiting_approval');
      await t.platform.stop();
      second = await Platform.start(t.platform.config, pino({ level: 'silent' }));
      const api = (p: string, init: RequestInit = {}) =>
        fetch(`${second!.url}${p}`, {
          ...init,
          headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        });
      const decided = await api(`/chats/${chatId}/approve-tool/c_wait`, {
        method: 'POST',
        body: JSON.stringify({ approved: true, reason: 'after restart' }),
      });
      expect(decided.status).to.equal(202);
      for (let i = 0; i < 400; i++) {
        const c = (await (await api(`/chats/${chatId}`)).json()) as {
          turns: [{ status: string }];
          messages: [{ content: string }];
          tool_calls: [Record<string, unknown>];
        };
        if (c.turns[0].status === 'completed') {
          expect(c.messages.at(-1)!.content).to.equal('pinged');
          expect(c.tool_calls[0]).to.include({ status: 'ok', result: 'pong' });
          return;
        }
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error('the turn did not resume after the restart');
    } finally {
      llm.reset();
      await second?.stop();
      await t.db.drop();
    }
  });
});
