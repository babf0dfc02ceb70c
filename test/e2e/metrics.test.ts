/**
 * Prometheus metrics at /metrics (issue 17 item 6): a scrape after a chat turn that calls a
 * function and after a direct function execution shows the counters moved (turns started and
 * ended, tool calls by kind, executions by outcome, requests by route pattern, never by URL), the
 * levels read at scrape (queue depth, projection lag, warm pool, open SSE streams); a key, when
 * configured, is required; SINAS_METRICS=off serves none.
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const KEY = 'metrics-key-0123456789';
const ECHO = 'def handler(input_data, context):\n    return {"echo": input_data}\n';

/** `name{labels}` → value, from the text exposition format */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('metrics', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  const scrape = async () => {
    const r = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await r.text();
    return { text, m: parse(text) };
  };
  const value = (m: Map<string, number>, series: string) => m.get(series) ?? 0;

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform({ SINAS_METRICS_KEY: KEY });
    await useProvider(t, llm.url);
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'mt', name: 'echo', code: ECHO, input_schema: { type: 'object' } },
    });
    expect(fn.status).to.equal(201);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'mt', name: 'helper', enabled_functions: ['mt/echo'] },
    });
    expect(agent.status).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });

  it('refuses a scrape without the configured key, or with another', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).to.equal(401);
    const wrong = await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer not-the-key' } });
    expect(wrong.status).to.equal(401);
    // a platform credential is not the metrics key
    expect((await t.api('/metrics')).status).to.equal(401);
  });

  it('counts a chat turn with a tool call and a function execution, by outcome and kind', async () => {
    const before = (await scrape()).m;
    llm.script([
      { toolCalls: [{ id: 'call_echo', name: 'mt__echo', arguments: { x: 1 } }] },
      { text: 'echoed' },
    ]);
    const chat = await (await t.api('/agents/mt/helper/chats', { method: 'POST', json: {} })).json();
    const sent = await t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'echo 1' } });
    expect(sent.status).to.equal(200);
    const run = await t.api('/functions/mt/echo/execute', { method: 'POST', json: { input: { y: 2 } } });
    expect(run.status).to.equal(200);
    expect((await run.json()).status).to.equal('success');

    // the worker counts an event once its append has resolved, which may be a moment after the
    // client heard of it: wait for the last one, the direct run's outcome
    let { text, m } = await scrape();
    const moved = (series: string) => value(m, series) - value(before, series);
    await until('the executions counted', async () => {
      ({ text, m } = await scrape());
      return moved('sinas_executions_total{outcome="completed"}') >= 2;
    });
    expect(moved('sinas_turns_started_total'), 'turn rounds started').to.be.at.least(2);
    expect(moved('sinas_turns_ended_total{outcome="completed"}')).to.equal(1);
    expect(moved('sinas_tool_calls_total{kind="function"}')).to.equal(1);
    // the tool call ran as an execution, and the direct run is another
    expect(moved('sinas_executions_total{outcome="completed"}')).to.equal(2);
    expect(
      moved('sinas_http_requests_total{method="POST",route="/chats/:chat_id/messages",status="200"}'),
    ).to.equal(1);
    expect(
      moved(
        'sinas_http_request_duration_seconds_count{method="POST",route="/functions/:namespace/:name/execute"}',
      ),
    ).to.equal(1);
    expect(text, 'routes by pattern, never by URL').not.to.contain(chat.id);
    // the levels, read at scrape
    expect(m.has('sinas_queue_jobs{queue="turns",state="waiting"}')).to.equal(true);
    expect(m.has('sinas_queue_jobs{queue="executions",state="completed"}')).to.equal(true);
    expect(m.has('sinas_projection_lag_positions{projection="chats"}')).to.equal(true);
    expect(m.has('sinas_sse_streams_open')).to.equal(true);
    const acquires =
      value(m, 'sinas_function_pool_acquires_total{result="hit"}') +
      value(m, 'sinas_function_pool_acquires_total{result="miss"}');
    expect(acquires, 'warm pool acquires').to.be.at.least(2);
  });

  it('counts the SSE streams open while one is', async () => {
    const chat = await (await t.api('/agents/mt/helper/chats', { method: 'POST', json: {} })).json();
    const controller = new AbortController();
    const stream = await t.api(`/chats/${chat.id}/events`, { signal: controller.signal });
    expect(stream.status).to.equal(200);
    try {
      expect(value((await scrape()).m, 'sinas_sse_streams_open')).to.be.at.least(1);
    } finally {
      controller.abort();
    }
  });
});

describe('metrics switched off', function () {
  this.timeout(120_000);
  it('serves no /metrics with SINAS_METRICS=off', async () => {
    const t = await startTestPlatform({ SINAS_METRICS: 'off' });
    try {
      expect((await fetch(`${t.url}/metrics`)).status).to.equal(404);
    } finally {
      await t.stop();
    }
  });
});
