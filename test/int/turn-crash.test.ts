/**
 * A worker killed (SIGKILL) in the middle of a turn: after a restart the turn is taken over as a
 * new attempt, and the chat ends with exactly one assistant message for it.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { spawnWorker } from '../support/worker-process.js';
import { until } from '../support/until.js';

const startWorker = (url: string): ChildProcess => spawnWorker(url);

describe('turn crash safety', function () {
  this.timeout(120_000);
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

  it('a turn whose worker was SIGKILLed is retried after restart and ends with one assistant message', async () => {
    const first = startWorker(t.db.url);
    workers.push(first);
    await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: { name: 'scripted', api_endpoint: llm.url, default_model: 'm', is_default: true },
    });
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'crash', name: 'bot' } });
    // the worker projects them: on a busy machine it may still be starting when the writes answer
    for (const path of ['/api/v1/llm-providers/scripted', '/api/v1/agents/crash/bot'])
      await until(`${path} projected`, async () => (await t.api(path)).status === 200, 100_000);
    const created = await t.api('/agents/crash/bot/chats', { method: 'POST', json: {} });
    expect(created.status).to.equal(200);
    const chat = await created.json();
    llm.script([{ hangAfterChunks: 2 }, { text: 'the one true reply', chunks: 3 }]);
    const reply = t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'go' } });
    // a worker process starting on a busy machine can take a while
    await until('the worker to call the model', () => llm.requests.length > 0, 100_000);
    // the turn has started (its first attempt recorded) before its worker dies
    await until('the turn to run', async () => {
      const turns = (await (await t.api(`/chats/${chat.id}`)).json()).turns as { status: string }[];
      return turns[0]?.status === 'running';
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    workers.push(startWorker(t.db.url));
    const res = await reply;
    expect(res.status).to.equal(200);
    expect((await res.json()).content).to.equal('the one true reply');
    const full = await (await t.api(`/chats/${chat.id}`)).json();
    expect(
      full.messages
        .filter((m: { role: string }) => m.role === 'assistant')
        .map((m: { content: string }) => m.content),
    ).to.deep.equal(['the one true reply']);
    expect(full.turns).to.have.length(1);
    expect(full.turns[0]).to.include({ status: 'completed', attempt: 2 });
    expect(llm.requests).to.have.length(2);
  });
});
