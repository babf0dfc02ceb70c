/**
 * A what-if replay behaves like a real turn: each model round's messages are built with the
 * history window (SINAS_HISTORY_MAX_MESSAGES and the inline tool-result limit) applied again, a
 * reply that does not match output_schema gets one corrective call, `execute` runs unrecorded
 * query calls through the query family (a sub-agent call is refused), and the report prices each
 * turn and the run from analytics.model_prices.
 */
import { expect } from 'chai';
import pg from 'pg';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { toolResultMarker } from '../../src/runtime/turns/history-window.js';
import { EVENT_BUDGET, TEXT_LIMIT } from '../../src/runtime/whatif/report-size.js';
import { whatIfStream } from '../../src/runtime/whatif/whatif-events.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
describe('what-if replay, turn by turn as a real turn runs', function () {
  this.timeout(300_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let db: UserDatabase;
  const post = (path: string, json: unknown) => t.api(path, { method: 'POST', json });
  const created = async (path: string, json: unknown) => {
    const r = await post(path, json);
    expect(r.status, await r.clone().text()).to.equal(201);
    return r.json();
  };
  const agent = (name: string, fields: Record<string, unknown> = {}) =>
    created('/api/v1/agents', { namespace: 'wt', name, llm_provider_id: providerId, ...fields });
  let providerId = '';
  /** a chat of `agentName` with one turn per message, each answered by the scripted peer as given */
  const recorded = async (agentName: string, turns: readonly [string, string][]) => {
    const r = await post(`/agents/wt/${agentName}/chats`, {});
    const id = (await r.json()).id as string;
    llm.script(turns.map(([, answer]) => ({ text: answer })));
    for (const [content] of turns) {
      const sent = await post(`/chats/${id}/messages`, { content });
      expect(sent.status, await sent.clone().text()).to.equal(200);
    }
    llm.reset();
    return id;
  };
  const whatIf = async (agentName: string, body: unknown) => {
    const r = await post(`/api/v1/agents/wt/${agentName}/what-if`, body);
    expect(r.status, await r.clone().text()).to.equal(202);
    const runId = (await r.json()).run_id as string;
    let run: any;
    await until('the what-if run to end', async () => {
      run = await (await t.api(`/api/v1/agents/wt/${agentName}/what-if/${runId}`)).json();
      return run.status === 'completed' || run.status === 'failed';
    });
    expect(run.status, run.error).to.equal('completed');
    return run;
  };
  const chatEvents = async () =>
    JSON.stringify(
      (
        await t.platform.services.eventStore.readAll({
          filter: { categories: ['chat'] },
          maxCount: 1_000_000,
        })
      ).map((e: RecordedEvent) => [e.id, e.streamName, String(e.revision), e.type, e.data]),
    );

  before(async () => {
    llm = await startScriptedLlm();
    // a window small enough to matter within one turn's tool rounds
    t = await startTestPlatform({ SINAS_HISTORY_MAX_MESSAGES: '4', SINAS_HISTORY_INLINE_TOOL_RESULTS: '1' });
    db = await userDatabase();
    providerId = (
      await created('/api/v1/llm-providers', { name: 'scripted', api_endpoint: llm.url, default_model: 'm' })
    ).id;
    await created('/api/v1/functions', {
      namespace: 'wt',
      name: 'lookup',
      code: 'def handler(input_data, context):\n    return {"ok": True}\n',
      input_schema: { type: 'object' },
    });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
    await db?.drop();
  });
  beforeEach(() => llm.reset());

  it("re-applies the history window on every tool round of the candidate's turn; retrieve_tool_result finds a cut result", async () => {
    await agent('window', { enabled_functions: ['wt/lookup'] });
    const chat = await recorded('window', [
      ['q1', 'a1'],
      ['q2', 'a2'],
    ]);
    llm.script([
      { text: 'a1' },
      { toolCalls: [{ name: 'wt__lookup', arguments: { n: 1 }, id: 'c1' }] },
      { toolCalls: [{ name: 'wt__lookup', arguments: { n: 2 }, id: 'c2' }] },
      { toolCalls: [{ name: 'retrieve_tool_result', arguments: { tool_call_id: 'c1' }, id: 'r1' }] },
      { text: 'a2' },
    ]);
    const run = await whatIf('window', { chats: [chat], concurrency: 1, unrecorded: { stub: { ok: 1 } } });
    expect(run.report.map((r: any) => r.candidate.answer)).to.deep.equal(['a1', 'a2']);
    const history = (i: number) =>
      llm.requests[i]!.messages.filter((m: any) => m.role !== 'system').map((m: any) => [m.role, m.content]);
    // round 1 of turn 2: [q1 a1 q2 call1 result1] windowed to the last 4
    expect(history(2)).to.deep.equal([
      ['assistant', 'a1'],
      ['user', 'q2'],
      ['assistant', null],
      ['tool', '{"ok":1}'],
    ]);
    // round 2: the last 4 again, and only the newest tool result inline (the older one a marker)
    expect(history(3)).to.deep.equal([
      ['assistant', null],
      ['tool', toolResultMarker('wt__lookup', 'c1')],
      ['assistant', null],
      ['tool', '{"ok":1}'],
    ]);
    // the marker's retrieve_tool_result finds the replayed turn's own result, as in a real turn
    expect(run.report[1].candidate.tool_calls.map((c: any) => c.answered)).to.deep.equal([
      'stub',
      'stub',
      'retrieved',
    ]);
    const retrieved = llm.requests[4]!.messages.at(-1);
    expect(JSON.parse(retrieved.content)).to.deep.include({ tool_call_id: 'c1', result: { ok: 1 } });
  });

  it('gives a reply that does not match output_schema one corrective call, and reports its validity', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    await agent('shaped', { output_schema: schema });
    const chat = await recorded('shaped', [['where?', '{"city":"Oslo"}']]);
    const before = await chatEvents();
    llm.script([{ text: '{"city":"Oslo"}' }]);
    const valid = (await whatIf('shaped', { chats: [chat] })).report[0];
    expect(valid.candidate).to.include({ answer: '{"city":"Oslo"}', output_schema_valid: true });
    expect(valid.candidate.output_schema_corrected).to.equal(undefined);
    expect(valid.differs).to.equal(false);
    expect(llm.requests).to.have.length(1);

    llm.reset();
    llm.script([{ text: 'Oslo, I think' }, { text: '{"city":"Oslo"}' }]);
    const corrected = (await whatIf('shaped', { chats: [chat] })).report[0];
    expect(corrected.candidate).to.include({
      answer: '{"city":"Oslo"}',
      output_schema_valid: true,
      output_schema_corrected: true,
    });
    expect(corrected.differs).to.equal(false);
    expect(llm.requests).to.have.length(2);
    const correction = llm.requests[1]!.messages.slice(-2);
    expect(correction[0]).to.include({ role: 'assistant', content: 'Oslo, I think' });
    expect(correction[1].content).to.include('did not match the required JSON Schema');

    llm.reset();
    llm.script([{ text: 'Oslo' }, { text: 'still Oslo' }]);
    const failed = (await whatIf('shaped', { chats: [chat] })).report[0];
    expect(failed.candidate).to.include({ answer: null, output_schema_valid: false });
    expect(failed.candidate.error).to.match(/did not match output_schema/);
    expect(await chatEvents()).to.equal(before);
  });

  it('prices each turn and the whole run, original and candidate, from analytics.model_prices', async () => {
    await agent('priced');
    const chat = await recorded('priced', [
      ['one', 'first answer'],
      ['two', 'second answer here'],
    ]);
    await t.platform.services.pool.query(
      `INSERT INTO analytics.model_prices (model, prompt_per_1k, completion_per_1k) VALUES ('m', 2, 4)
       ON CONFLICT (model) DO UPDATE SET prompt_per_1k = 2, completion_per_1k = 4`,
    );
    llm.script([{ text: 'a much longer candidate answer' }, { text: 'another one' }]);
    const run = await whatIf('priced', { chats: [chat], concurrency: 1 });
    const price = (u: any) => (u.prompt_tokens / 1000) * 2 + (u.completion_tokens / 1000) * 4;
    for (const turn of run.report) {
      expect(turn.original.usage.total_tokens).to.be.greaterThan(0);
      expect(turn.original.cost).to.be.closeTo(price(turn.original.usage), 1e-9);
      expect(turn.candidate.cost).to.be.closeTo(price(turn.candidate.usage), 1e-9);
    }
    const sum = (side: string) => run.report.reduce((n: number, r: any) => n + price(r[side].usage), 0);
    expect(run.cost.original).to.be.closeTo(sum('original'), 1e-9);
    expect(run.cost.candidate).to.be.closeTo(sum('candidate'), 1e-9);
    expect(run.cost.candidate).to.not.equal(run.cost.original);
  });

  it('"execute" runs an unrecorded query call for real through the query family, refuses a sub-agent call, and writes no chat', async () => {
    const conn = await created('/api/v1/database-connections', {
      name: 'wt-notes',
      connection_type: 'postgresql',
      ...db.fields,
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      `CREATE TABLE notes (body text NOT NULL); INSERT INTO notes VALUES ('replayed for real')`,
    );
    await client.end();
    await created('/api/v1/queries', {
      namespace: 'wt',
      name: 'notes',
      database_connection_id: conn.id,
      operation: 'read',
      sql: 'SELECT body FROM notes',
    });
    await agent('helper');
    await agent('ops', { enabled_queries: ['wt/notes'], enabled_agents: ['wt/helper'] });
    const chat = await recorded('ops', [['what do the notes say?', 'I did not look']]);
    const before = await chatEvents();
    llm.script([
      {
        toolCalls: [
          { name: 'call_agent_wt__helper', arguments: { prompt: 'hi' }, id: 's1' },
          { name: 'query_wt__notes', arguments: {}, id: 'q1' },
        ],
      },
      { text: 'they say: replayed for real' },
    ]);
    const run = await whatIf('ops', { chats: [chat], unrecorded: 'execute' });
    const [turn] = run.report;
    expect(turn.candidate.tool_calls.map((c: any) => [c.name, c.answered])).to.deep.equal([
      ['call_agent_wt__helper', 'refused'],
      ['query_wt__notes', 'executed'],
    ]);
    expect(turn.candidate.tool_calls[0].reason).to.match(/sub-agent.*would write a real chat/);
    // what the query did is in the run's report (its audit), as a chat's ToolCallCompleted would hold it
    expect(turn.candidate.tool_calls[1].detail).to.include({ operation: 'read', row_count: 1 });
    expect(turn.candidate.answer).to.equal('they say: replayed for real');
    const tools = llm.requests[1]!.messages.filter((m: any) => m.role === 'tool');
    // the older of the round's results is a marker (SINAS_HISTORY_INLINE_TOOL_RESULTS=1), as in a real turn
    expect(tools[0].content).to.equal(toolResultMarker('call_agent_wt__helper', 's1'));
    expect(JSON.parse(tools[1].content)).to.deep.include({
      rows: [{ body: 'replayed for real' }],
      row_count: 1,
    });
    expect(llm.requests).to.have.length(2); // the helper agent was never asked
    expect(await chatEvents()).to.equal(before);
  });

  it("keeps each recorded event bounded: long texts cut with a marker, a chat's reports split over events", async () => {
    await agent('wordy');
    const TURNS = 12;
    const long = (word: string) => `${word} `.repeat(4000).trim();
    const chat = await recorded(
      'wordy',
      Array.from({ length: TURNS }, (_, i) => [`question ${i}`, long(`calm${i}`)] as [string, string]),
    );
    llm.script(Array.from({ length: TURNS }, (_, i) => ({ text: long(`storm${i}`), chunks: 4 })));
    const run = await whatIf('wordy', { chats: [chat], concurrency: 1 });
    expect(run.done).to.equal(TURNS);
    expect(run.differences).to.equal(TURNS);
    expect(run.report.map((r: any) => r.index)).to.deep.equal([...Array(TURNS).keys()]);
    for (const r of run.report) {
      expect(r.candidate.answer)
        .to.match(/^storm\d+ storm/)
        .and.match(/more characters cut from this report\]$/);
      expect(r.candidate.answer.length).to.be.lessThan(TEXT_LIMIT + 100);
      expect(r.original.answer.length).to.be.lessThan(TEXT_LIMIT + 100);
    }
    const replayed = (await t.platform.services.eventStore.readStream(whatIfStream(run.run_id))).filter(
      (e: RecordedEvent) => e.type === 'WhatIfChatReplayed',
    );
    expect(replayed.length).to.be.greaterThan(1);
    for (const e of replayed)
      expect(Buffer.byteLength(JSON.stringify(e.data))).to.be.at.most(EVENT_BUDGET + 1024);
    expect(replayed.map((e: RecordedEvent) => (e.data as any).more ?? false)).to.deep.equal([
      ...replayed.slice(1).map(() => true),
      false,
    ]);
  });
});
