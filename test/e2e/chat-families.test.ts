/**
 * Tool families in real turns: a family's calls run inline next to function executions, in
 * parallel; their audit detail shows in the events, GET /chats/{id} and the timeline; a forbidden
 * or failing call answers the model; approval and cancel work for them; a result cut for the model
 * is kept whole (capped) for retrieval; a family that fails to offer sits the round out.
 */
import { expect } from 'chai';
import { ForbiddenError, ValidationError } from '../../src/errors.js';
import { streams } from '../../src/events/stream-names.js';
import { RESULT_LIMIT } from '../../src/runtime/turns/tools.js';
import { FULL_RESULT_LIMIT } from '../../src/runtime/turns/family-tools.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { Gate, TestFamily } from '../support/test-family.js';
import { until } from '../support/until.js';

const LOOKUP = `
def handler(input_data, context):
    return {"city": input_data["city"]}
`;

const BIG = `
def handler(input_data, context):
    return "y" * 12000
`;

describe('tool families in chat turns', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  const gate = new Gate();
  let size = 30_000;
  const events = async (chatId: string) => t.platform.services.eventStore.readStream(streams.chat(chatId));
  const completed = async (chatId: string, toolCallId: string) =>
    (await events(chatId)).find(
      (e) => e.type === 'ToolCallCompleted' && (e.data as { toolCallId: string }).toolCallId === toolCallId,
    )?.data as Record<string, unknown> | undefined;
  const family = new TestFamily([
    {
      name: 'test_echo',
      params: { locked: { region: 'eu' }, overridable: { limit: 5 } },
      status: { key: 'test:echo', fallback: 'Echoing' },
    },
    {
      // runs only once the function call of the same round has its result: the two run in parallel
      name: 'test_after_function',
      run: async (call, chat) => {
        await until('the function call to complete', async () => !!(await completed(chat.chatId, 'call_fn')));
        return { status: 'ok', result: { waited: true }, detail: { waited_for: 'call_fn', ok: true } };
      },
    },
    {
      name: 'test_forbidden',
      run: () => {
        throw new ForbiddenError('the chat user may not do that');
      },
    },
    {
      name: 'test_invalid',
      run: () => {
        throw new ValidationError('limit must be positive', 'limit');
      },
    },
    { name: 'test_approve', requiresApproval: true },
    {
      name: 'test_block',
      run: async (call) => {
        await gate.wait(call.signal);
        return { status: 'ok', result: 'released' };
      },
    },
    { name: 'test_big', run: () => ({ status: 'ok', result: 'x'.repeat(size), detail: { bytes: size } }) },
  ]);

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform({}, { families: [family] });
    await useProvider(t, llm.url);
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'fam',
        name: 'lookup',
        code: LOOKUP,
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    });
    expect(fn.status).to.equal(201);
    const big = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'fam', name: 'big', code: BIG },
    });
    expect(big.status).to.equal(201);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: {
        namespace: 'fam',
        name: 'bot',
        enabled_functions: ['fam/lookup', 'fam/big'],
        status_templates: { 'test:echo': 'Echoing {{ q }} in {{ region }}' },
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
    (await (await t.api('/agents/fam/bot/chats', { method: 'POST', json: {} })).json()).id as string;
  const post = (chatId: string, content: string) =>
    t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } });
  const chatBody = async (chatId: string) => (await t.api(`/chats/${chatId}`)).json();
  const turnCompleted = (chatId: string) =>
    until('the turn to complete', async () => (await chatBody(chatId)).turns[0].status === 'completed');

  it('runs a family call and a function call of one round in parallel; detail in events, GET /chats and the timeline', async () => {
    llm.script([
      {
        toolCalls: [
          { id: 'call_fam', name: 'test_after_function', arguments: {} },
          { id: 'call_fn', name: 'fam__lookup', arguments: { city: 'Oslo' } },
          { id: 'call_echo', name: 'test_echo', arguments: { q: 'hi', region: 'us' } },
        ],
      },
      { text: 'all done' },
    ]);
    const chatId = await newChat();
    const res = await post(chatId, 'go');
    expect(res.status).to.equal(200);
    expect((await res.json()).content).to.equal('all done');
    // the model was offered the family's tools next to the function, and saw every result
    const offered = (llm.requests[0]!.tools as { function: { name: string } }[]).map((x) => x.function.name);
    expect(offered).to.include.members(['fam__lookup', 'test_echo', 'test_block']);
    const toolMessages = (
      llm.requests[1]!.messages as { role: string; tool_call_id: string; content: string }[]
    )
      .filter((m) => m.role === 'tool')
      .map((m) => [m.tool_call_id, JSON.parse(m.content)]);
    expect(Object.fromEntries(toolMessages)).to.deep.equal({
      call_fam: { waited: true },
      call_fn: { city: 'Oslo' },
      call_echo: { echo: { q: 'hi', region: 'eu', limit: 5 } },
    });
    const started = (await events(chatId)).filter((e) => e.type === 'ToolCallStarted').map((e) => e.data);
    expect(started.find((d) => (d as { toolCallId: string }).toolCallId === 'call_fam')).to.include({
      executionId: null,
    });
    expect(await completed(chatId, 'call_fam')).to.deep.include({
      status: 'ok',
      executionId: null,
      detail: { waited_for: 'call_fn', ok: true },
    });
    await until(
      'the turn in GET /chats',
      async () => (await chatBody(chatId)).turns[0]?.status === 'completed',
    );
    const body = await chatBody(chatId);
    const calls = Object.fromEntries(
      (body.tool_calls as { tool_call_id: string }[]).map((c) => [c.tool_call_id, c]),
    ) as Record<string, Record<string, unknown>>;
    expect(calls.call_fam).to.deep.include({
      status: 'ok',
      execution_id: null,
      target: { family: 'test', ref: { tool: 'test_after_function' } },
      detail: { waited_for: 'call_fn', ok: true },
      description: 'Testing test_after_function',
    });
    expect(calls.call_echo).to.deep.include({
      arguments: { q: 'hi', region: 'eu', limit: 5 },
      description: 'Echoing hi in eu',
      detail: { tool: 'test_echo' },
    });
    expect(calls.call_fn).to.deep.include({ target: null, detail: null, status: 'ok' });
    const timeline = await (await t.api(`/chats/${chatId}/timeline`)).json();
    const done = (timeline.items as { type: string; data: { toolCallId?: string; detail?: object } }[]).find(
      (i) => i.type === 'ToolCallCompleted' && i.data.toolCallId === 'call_fam',
    );
    expect(done!.data.detail).to.deep.equal({ waited_for: 'call_fn', ok: true });
  });

  it('a forbidden call is `forbidden`, a failing one an error result the model reads; the turn goes on', async () => {
    llm.script([
      {
        toolCalls: [
          { id: 'call_no', name: 'test_forbidden', arguments: {} },
          { id: 'call_bad', name: 'test_invalid', arguments: {} },
        ],
      },
      { text: 'could not' },
    ]);
    const chatId = await newChat();
    expect((await (await post(chatId, 'go')).json()).content).to.equal('could not');
    expect(await completed(chatId, 'call_no')).to.deep.include({ status: 'forbidden' });
    expect(JSON.parse((await completed(chatId, 'call_no'))!.result as string)).to.deep.equal({
      error: 'Not permitted',
      message: 'the chat user may not do that',
    });
    expect(await completed(chatId, 'call_bad')).to.deep.include({
      status: 'error',
      result: JSON.stringify({ error: 'limit must be positive' }),
    });
  });

  it('a family call that needs approval waits for it, and runs once approved', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_ap', name: 'test_approve', arguments: { amount: 3 } }] },
      { text: 'approved and done' },
    ]);
    const chatId = await newChat();
    const r = await (await post(chatId, 'go')).json();
    expect(r.status).to.equal('awaiting_approval');
    expect(r.pending_approvals[0]).to.deep.include({
      tool_call_id: 'call_ap',
      name: 'test_approve',
      target: { family: 'test', ref: { tool: 'test_approve' } },
    });
    // the reply answers from the chat's events; its read model follows
    await until(
      'the approval in GET /chats',
      async () => (await chatBody(chatId)).pending_approvals.length === 1,
    );
    expect(family.callsOf('test_approve')).to.have.length(0);
    const approve = await t.api(`/chats/${chatId}/approve-tool/call_ap`, {
      method: 'POST',
      json: { approved: true, reason: 'fine' },
    });
    expect(approve.status).to.equal(202);
    await turnCompleted(chatId);
    const body = await chatBody(chatId);
    expect(body.turns[0].status).to.equal('completed');
    expect(body.messages.at(-1).content).to.equal('approved and done');
    expect(family.callsOf('test_approve').map((c) => c.arguments)).to.deep.equal([{ amount: 3 }]);
  });

  it("cancelling the turn aborts a running family call's signal", async () => {
    llm.script([{ toolCalls: [{ id: 'call_blk', name: 'test_block', arguments: {} }] }]);
    const chatId = await newChat();
    const reply = post(chatId, 'go');
    await until('the blocking call to run', () => family.running.has('call_blk'));
    const cancel = await t.api(`/chats/${chatId}/cancel`, { method: 'POST', json: {} });
    expect(cancel.status).to.equal(200);
    await until('the call to end', () => !family.running.has('call_blk'));
    expect(family.callsOf('test_block')[0]!.aborted).to.equal(true);
    await reply;
    await until(
      'the cancel in GET /chats',
      async () => (await chatBody(chatId)).turns[0]?.status === 'cancelled',
    );
    expect(await completed(chatId, 'call_blk')).to.equal(undefined);
  });

  it('a result cut for the model is kept whole in fullResult, capped with a marker', async () => {
    for (const [n, id] of [
      [30_000, 'call_big'],
      [FULL_RESULT_LIMIT + 100, 'call_huge'],
      [100, 'call_small'],
    ] as const) {
      size = n;
      llm.script([{ toolCalls: [{ id, name: 'test_big', arguments: {} }] }, { text: 'ok' }]);
      const chatId = await newChat();
      await post(chatId, 'go');
      const d = (await completed(chatId, id))! as { result: string; fullResult?: string };
      if (n <= RESULT_LIMIT) {
        expect(d.result).to.equal('x'.repeat(n));
        expect(d.fullResult).to.equal(undefined);
        continue;
      }
      expect(d.result).to.equal('x'.repeat(RESULT_LIMIT) + '\n\n[... result truncated]');
      if (n <= FULL_RESULT_LIMIT) expect(d.fullResult).to.equal('x'.repeat(n));
      else {
        expect(
          d.fullResult!.startsWith('x'.repeat(FULL_RESULT_LIMIT) + '\n\n[... result truncated'),
        ).to.equal(true);
        expect(d.fullResult!.length).to.be.lessThan(FULL_RESULT_LIMIT + 100);
      }
    }
  });

  it("a function's result cut for the model is kept whole too", async () => {
    llm.script([{ toolCalls: [{ id: 'call_bigfn', name: 'fam__big', arguments: {} }] }, { text: 'ok' }]);
    const chatId = await newChat();
    await post(chatId, 'go');
    const d = (await completed(chatId, 'call_bigfn'))! as { result: string; fullResult?: string };
    expect(d.result).to.equal('y'.repeat(RESULT_LIMIT) + '\n\n[... result truncated]');
    expect(d.fullResult).to.equal('y'.repeat(12_000));
  });

  it("a family's prompt sections are in the system prompt of every round, around the output-schema instruction", async () => {
    family.sections = [
      { place: 'after_output_schema', text: '\n\n## Stored Context\nlate' },
      { place: 'before_output_schema', text: '\n\n# Preloaded Skills\nearly' },
    ];
    try {
      llm.script([
        { toolCalls: [{ id: 'call_s1', name: 'test_echo', arguments: { q: 'x' } }] },
        { text: 'done' },
      ]);
      const chatId = await newChat();
      expect((await (await post(chatId, 'go')).json()).content).to.equal('done');
      expect(llm.requests).to.have.length(2);
      for (const request of llm.requests) {
        const system = (request.messages as { role: string; content: string }[])[0]!;
        expect(system.role).to.equal('system');
        expect(system.content).to.match(/# Preloaded Skills\nearly[\s\S]*## Stored Context\nlate$/);
      }
    } finally {
      family.sections = [];
    }
  });

  it('a family that fails to offer sits the round out; the turn runs with the other tools', async () => {
    family.failOffer = new Error('catalogue unreadable');
    try {
      llm.script([{ text: 'fine without' }]);
      const chatId = await newChat();
      expect((await (await post(chatId, 'go')).json()).content).to.equal('fine without');
      const offered = (llm.requests[0]!.tools as { function: { name: string } }[]).map(
        (x) => x.function.name,
      );
      expect(offered).to.deep.equal(['fam__lookup', 'fam__big', 'retrieve_tool_result']);
    } finally {
      family.failOffer = undefined;
    }
  });
});
