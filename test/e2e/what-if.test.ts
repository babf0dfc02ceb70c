/**
 * What-if replay: recorded chats replayed against the unchanged agent report no difference;
 * against a changed prompt, exactly the turns whose answers changed; calls the recording holds
 * get its results, others the policy's; and no replay writes to a chat or runs a function.
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { ADMIN_KEY, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { sinasCli } from '../support/sinas-cli.js';
import { until } from '../support/until.js';

/** recorded chats replayed against the development model (each with two user turns) */
const CHATS = 100;

const LOOKUP =
  'def handler(input_data, context):\n    return {"city": input_data.get("city"), "sunny": True}\n';

describe('what-if replay', function () {
  this.timeout(300_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  const post = (path: string, json: unknown) => t.api(path, { method: 'POST', json });
  const newChat = async (agent: string) =>
    (await (await post(`/agents/wi/${agent}/chats`, {})).json()).id as string;
  const send = async (chatId: string, content: string) => {
    const r = await post(`/chats/${chatId}/messages`, { content });
    expect(r.status, await r.clone().text()).to.equal(200);
    return (await r.json()).content as string;
  };
  /** every event of every chat and execution stream, as stored */
  const chatAndExecutionEvents = async () =>
    JSON.stringify(
      (
        await t.platform.services.eventStore.readAll({
          filter: { categories: ['chat', 'execution'] },
          maxCount: 1_000_000,
        })
      ).map((e: RecordedEvent) => [e.id, e.streamName, String(e.revision), e.type, e.data]),
    );
  const whatIf = async (agent: string, body: unknown) => {
    const r = await post(`/api/v1/agents/wi/${agent}/what-if`, body);
    expect(r.status, await r.clone().text()).to.equal(202);
    const runId = (await r.json()).run_id as string;
    let run: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    await until('the what-if run to end', async () => {
      run = await (await t.api(`/api/v1/agents/wi/${agent}/what-if/${runId}`)).json();
      return run.status === 'completed' || run.status === 'failed';
    });
    return { runId, run };
  };

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    const fn = await post('/api/v1/functions', {
      namespace: 'wi',
      name: 'lookup',
      code: LOOKUP,
      input_schema: { type: 'object' },
    });
    expect(fn.status).to.equal(201);
    const provider = async (name: string, api_endpoint: string, default_model: string) => {
      const r = await post('/api/v1/llm-providers', { name, api_endpoint, default_model });
      expect(r.status).to.equal(201);
      return (await r.json()).id as string;
    };
    // the zero-latency development model, named as a provider beside the scripted peer
    const devUrl = await t.platform.services.devModel.url();
    for (const [name, providerId] of [
      ['dev', await provider('dev', devUrl, 'sinas-dev-model')],
      ['scripted', await provider('scripted', llm.url, 'm')],
    ] as const) {
      const agent = await post('/api/v1/agents', {
        namespace: 'wi',
        name,
        system_prompt: 'You are a weather assistant.',
        enabled_functions: ['wi/lookup'],
        llm_provider_id: providerId,
      });
      expect(agent.status, await agent.clone().text()).to.equal(201);
    }
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  it(`replays ${CHATS} recorded chats against the unchanged agent with 0 differences, answering recorded tool calls from the recording`, async () => {
    const withTool = await newChat('dev');
    expect(await send(withTool, 'call wi/lookup {"city": "Oslo"}')).to.match(
      /Tool wi__lookup returned: .*sunny/,
    );
    await send(withTool, 'thanks');
    for (let i = 1; i < CHATS; i++) {
      const id = await newChat('dev');
      await send(id, `hello number ${i}`);
      await send(id, `and once more ${i}`);
    }
    const before = await chatAndExecutionEvents();
    const { run } = await whatIf('dev', { filter: { count: 1000 } });
    expect(run.status, run.error).to.equal('completed');
    expect(run.chats).to.have.length(CHATS);
    expect(run.total).to.equal(2 * CHATS);
    expect(run.done).to.equal(2 * CHATS);
    expect(run.differences).to.equal(0);
    const toolTurn = run.report.find(
      (r: { chat_id: string; index: number }) => r.chat_id === withTool && r.index === 0,
    );
    expect(toolTurn.candidate.tool_calls).to.deep.equal([
      { name: 'wi__lookup', arguments: '{"city":"Oslo"}', answered: 'recorded' },
    ]);
    expect(toolTurn.candidate.answer).to.equal(toolTurn.original.answer);
    expect(toolTurn.candidate.usage.total_tokens).to.be.greaterThan(0);
    expect(toolTurn.candidate.output_schema_valid).to.equal(null);
    // nothing written to any chat, no function run (the lookup is answered from the recording)
    expect(await chatAndExecutionEvents()).to.equal(before);
  });

  it('against a changed prompt, reports exactly the turns whose answers changed, with a word diff', async () => {
    const chats: string[] = [];
    llm.script([1, 2, 3, 4, 5, 6].map((n) => ({ text: `The weather is calm ${n}` })));
    for (let c = 0; c < 3; c++) {
      const id = await newChat('scripted');
      chats.push(id);
      await send(id, `question ${c}a`);
      await send(id, `question ${c}b`);
    }
    const before = await chatAndExecutionEvents();
    llm.reset();
    // the replay asks in recorded order: turns 2 and 5 now answer differently
    llm.script(
      [1, 2, 3, 4, 5, 6].map((n) => ({
        text: n === 2 || n === 5 ? `The weather is stormy ${n}` : `The weather is calm ${n}`,
      })),
    );
    // one chat at a time, so the scripted answers meet the turns in order
    const { run } = await whatIf('scripted', {
      candidate: { system_prompt: 'Be terse.' },
      chats,
      concurrency: 1,
    });
    expect(run.status, run.error).to.equal('completed');
    expect(run.differences).to.equal(2);
    const differing = run.report
      .filter((r: { differs: boolean }) => r.differs)
      .map((r: { chat_id: string; index: number }) => [chats.indexOf(r.chat_id), r.index]);
    expect(differing).to.deep.equal([
      [0, 1],
      [2, 0],
    ]);
    const changed = run.report.find((r: { differs: boolean }) => r.differs);
    expect(changed.original.answer).to.equal('The weather is calm 2');
    expect(changed.candidate.answer).to.equal('The weather is stormy 2');
    expect(changed.diff).to.deep.equal([
      { op: '=', text: 'The weather is ' },
      { op: '-', text: 'calm ' },
      { op: '+', text: 'stormy ' },
      { op: '=', text: '2' },
    ]);
    // the candidate's prompt, and the recorded history up to each turn
    expect(llm.requests).to.have.length(6);
    expect(llm.requests[1]!.messages.map((m: { content: string }) => m.content)).to.deep.equal([
      'Be terse.',
      'question 0a',
      'The weather is calm 1',
      'question 0b',
    ]);
    expect(await chatAndExecutionEvents()).to.equal(before);
  });

  it('a tool call the recording lacks gets the stub, or "not recorded" by default, and runs nothing', async () => {
    llm.script([{ text: 'no tools needed' }]);
    const id = await newChat('scripted');
    await send(id, 'is it sunny in Bergen?');
    const before = await chatAndExecutionEvents();
    for (const [unrecorded, answered, seen] of [
      [{ stub: { sunny: false } }, 'stub', '{"sunny":false}'],
      [undefined, 'not_recorded', 'Not recorded'],
    ] as const) {
      llm.reset();
      llm.script([
        { toolCalls: [{ name: 'wi__lookup', arguments: { city: 'Bergen' } }] },
        { text: 'it is not sunny' },
      ]);
      const { run } = await whatIf('scripted', { chats: [id], ...(unrecorded ? { unrecorded } : {}) });
      expect(run.status, run.error).to.equal('completed');
      const [turn] = run.report;
      expect(turn.candidate.tool_calls).to.deep.equal([
        { name: 'wi__lookup', arguments: '{"city":"Bergen"}', answered },
      ]);
      expect(turn.tool_calls.added).to.deep.equal([{ name: 'wi__lookup', arguments: '{"city":"Bergen"}' }]);
      expect(turn.differs).to.equal(true);
      const toolMessage = llm.requests[1]!.messages.find((m: { role: string }) => m.role === 'tool');
      expect(toolMessage.content).to.include(seen);
    }
    expect(await chatAndExecutionEvents()).to.equal(before);
  });

  it('"execute" runs an unrecorded function call for real, but never one that requires approval', async () => {
    const approved = await post('/api/v1/functions', {
      namespace: 'wi',
      name: 'refund',
      code: LOOKUP,
      input_schema: { type: 'object' },
      requires_approval: true,
    });
    expect(approved.status).to.equal(201);
    llm.script([{ text: 'nothing to do' }]);
    const id = await newChat('scripted');
    await send(id, 'anything?');
    const executions = async () =>
      (
        await t.platform.services.eventStore.readAll({
          filter: { categories: ['execution'] },
          maxCount: 1_000_000,
        })
      ).filter((e: RecordedEvent) => e.type === 'ExecutionRequested').length;
    const before = await executions();
    llm.reset();
    llm.script([
      {
        toolCalls: [
          { name: 'wi__lookup', arguments: { city: 'Tromsø' } },
          { name: 'wi__refund', arguments: { amount: 5 } },
        ],
      },
      { text: 'done' },
    ]);
    const candidate = { enabled_functions: ['wi/lookup', 'wi/refund'] };
    const { run } = await whatIf('scripted', { chats: [id], candidate, unrecorded: 'execute' });
    expect(run.status, run.error).to.equal('completed');
    expect(run.report[0].candidate.tool_calls.map((c: { answered: string }) => c.answered)).to.deep.equal([
      'executed',
      'refused',
    ]);
    const tools = llm.requests[1]!.messages.filter((m: { role: string }) => m.role === 'tool');
    expect(tools[0].content).to.include('Tromsø');
    expect(tools[1].content).to.include('requires approval');
    expect(await executions()).to.equal(before + 1);
  });

  it('exports the report as NDJSON and streams the run as SSE until it ends', async () => {
    llm.script([{ text: 'recorded' }]);
    const id = await newChat('scripted');
    await send(id, 'hi');
    const { runId } = await whatIf('scripted', { chats: [id] });
    const ndjson = await (await t.api(`/api/v1/agents/wi/scripted/what-if/${runId}/export`)).text();
    const lines = ndjson
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).to.include({ run_id: runId, status: 'completed', done: 1, total: 1 });
    expect(lines.slice(1).map((l) => l.turn_id)).to.have.length(1);
    const sse = await (await t.api(`/api/v1/agents/wi/scripted/what-if/${runId}/stream`)).text();
    const events = [...sse.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events).to.deep.equal(['requested', 'started', 'chat', 'completed']);
    const viaAccept = await t.api(`/api/v1/agents/wi/scripted/what-if/${runId}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(viaAccept.headers.get('content-type')).to.match(/^text\/event-stream/);
    expect((await viaAccept.text()).match(/^event: completed$/m)).to.not.equal(null);
  });

  it('`sinas what-if` runs it from a request file and prints the turns that differ', async () => {
    llm.script([{ text: 'The weather is calm 1' }]);
    const id = await newChat('scripted');
    await send(id, 'how is it?');
    const dir = await mkdtemp(join(tmpdir(), 'whatif-'));
    try {
      const file = join(dir, 'request.json');
      await writeFile(file, JSON.stringify({ candidate: { system_prompt: 'Be dramatic.' }, chats: [id] }));
      llm.reset();
      llm.script([{ text: 'The weather is stormy 1' }]);
      const run = await sinasCli(['what-if', 'wi/scripted', '-f', file], {
        ...process.env,
        SINAS_URL: t.url,
        SINAS_API_KEY: ADMIN_KEY,
      });
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.include(`chat ${id} turn 0: The weather is [-calm -]{+stormy +}1`);
      expect(run.stdout).to.include('completed: 1 turns replayed, 1 differ');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad input naming the field, a caller who may not update the agent, and a chat they may not read', async () => {
    const bad = await post('/api/v1/agents/wi/dev/what-if', { unrecorded: 'maybe' });
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(await bad.json())).to.include('unrecorded');
    const badCandidate = await post('/api/v1/agents/wi/dev/what-if', { candidate: { temperature: 9 } });
    expect(badCandidate.status).to.equal(400);
    expect(JSON.stringify(await badCandidate.json())).to.include('temperature');
    const noVersion = await post('/api/v1/agents/wi/dev/what-if', { candidate: { version: 99 } });
    expect(noVersion.status).to.equal(404);
    const key = await userKey(t, 'whatif-bob');
    const asBob = await t.api('/api/v1/agents/wi/dev/what-if', {
      method: 'POST',
      headers: { 'x-api-key': key },
      json: {},
    });
    expect(asBob.status).to.equal(403);
    // bob's own agent, replaying the admin's chat: not his to read
    await t.api('/api/v1/agents', {
      method: 'POST',
      headers: { 'x-api-key': key },
      json: { namespace: 'whatif-bob', name: 'mine' },
    });
    const chat = await newChat('dev');
    const foreign = await t.api('/api/v1/agents/whatif-bob/mine/what-if', {
      method: 'POST',
      headers: { 'x-api-key': key },
      json: { chats: [chat] },
    });
    expect(foreign.status).to.be.oneOf([403, 404]);
    expect(foreign.status, await foreign.clone().text()).to.equal(404);
  });
});
