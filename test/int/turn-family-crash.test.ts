/**
 * A worker killed (SIGKILL) while a turn's inline family calls run: after a restart, a call its
 * family says may run again runs again; one that may have had effects is answered as interrupted
 * and not repeated. The turn then goes on to its reply.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { streams } from '../../src/events/stream-names.js';
import { INTERRUPTED } from '../../src/runtime/turns/family-tools.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { spawnWorker } from '../support/worker-process.js';
import { until } from '../support/until.js';

const startWorker = (url: string, mode: 'block' | 'answer'): ChildProcess =>
  spawnWorker(url, { entry: 'test/support/family-worker.ts', env: { TEST_FAMILY_MODE: mode } });

describe('inline tool calls across a worker crash', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  const workers: ChildProcess[] = [];
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await t?.stop();
    await llm?.stop();
  });

  it('re-runs a rerunnable call and answers the other as interrupted, without repeating it', async () => {
    const first = startWorker(t.db.url, 'block');
    workers.push(first);
    await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: { name: 'scripted', api_endpoint: llm.url, default_model: 'm', is_default: true },
    });
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'crash', name: 'fam' } });
    for (const path of ['/api/v1/llm-providers/scripted', '/api/v1/agents/crash/fam'])
      await until(`${path} projected`, async () => (await t.api(path)).status === 200, 100_000);
    const chat = await (await t.api('/agents/crash/fam/chats', { method: 'POST', json: {} })).json();
    llm.script([
      {
        toolCalls: [
          { id: 'call_safe', name: 'test_safe', arguments: {} },
          { id: 'call_effect', name: 'test_effect', arguments: {} },
        ],
      },
      { text: 'after the crash' },
    ]);
    const reply = t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'go' } });
    const store = t.platform.services.eventStore;
    const startedCalls = async () =>
      (await store.readStream(streams.chat(chat.id as string)))
        .filter((e) => e.type === 'ToolCallStarted')
        .map((e) => (e.data as { toolCallId: string }).toolCallId);
    // a worker process starting on a busy machine can take a while
    await until('both calls to start', async () => (await startedCalls()).length === 2, 100_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    workers.push(startWorker(t.db.url, 'answer'));
    const res = await reply;
    expect(res.status).to.equal(200);
    expect((await res.json()).content).to.equal('after the crash');
    const events = await store.readStream(streams.chat(chat.id as string));
    const results = Object.fromEntries(
      events
        .filter((e) => e.type === 'ToolCallCompleted')
        .map((e) => e.data as { toolCallId: string; status: string; result: string })
        .map((d) => [d.toolCallId, { status: d.status, result: JSON.parse(d.result) }]),
    );
    expect(results).to.deep.equal({
      call_safe: { status: 'ok', result: { ran_by: 'answering worker' } },
      call_effect: { status: 'error', result: { error: INTERRUPTED } },
    });
    // each started once: the re-run goes on from the recorded start
    expect(await startedCalls()).to.deep.equal(['call_safe', 'call_effect']);
  });
});
