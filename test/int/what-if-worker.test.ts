/**
 * A what-if run completes when it is requested from an API-only process on the in-process queue
 * (SINAS_ROLE=api, no Redis) and replayed by a separate worker process on the same database: the
 * API's own queue has no worker, so the worker must learn of the run from its event; and a run
 * whose worker died mid-replay (its in-process job gone with it) is taken up by the next worker.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { spawnWorker } from '../support/worker-process.js';
import { until } from '../support/until.js';

describe('what-if runs in every process layout', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let worker: ChildProcess | undefined;
  const post = (path: string, json: unknown) => t.api(path, { method: 'POST', json });
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
    worker = spawnWorker(t.db.url);
  });
  after(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await t?.stop();
    await llm?.stop();
  });

  it('an API-only process on the in-process queue: the worker process replays the run', async () => {
    await post('/api/v1/llm-providers', {
      name: 'scripted',
      api_endpoint: llm.url,
      default_model: 'm',
      is_default: true,
    });
    await post('/api/v1/agents', { namespace: 'layout', name: 'bot' });
    // the worker projects them: on a busy machine it may still be starting when the writes answer
    for (const path of ['/api/v1/llm-providers/scripted', '/api/v1/agents/layout/bot'])
      await until(`${path} projected`, async () => (await t.api(path)).status === 200, 100_000);
    const chat = (await (await post('/agents/layout/bot/chats', {})).json()).id as string;
    llm.script([{ text: 'recorded answer' }]);
    const sent = await post(`/chats/${chat}/messages`, { content: 'hello' });
    expect(sent.status, await sent.clone().text()).to.equal(200);
    llm.reset();
    llm.script([{ text: 'candidate answer' }]);
    const started = await post('/api/v1/agents/layout/bot/what-if', { chats: [chat] });
    expect(started.status, await started.clone().text()).to.equal(202);
    const runId = (await started.json()).run_id as string;
    let run: { status: string; differences: number; error: string | null } | undefined;
    await until(
      'the worker process to replay the run',
      async () => {
        run = await (await t.api(`/api/v1/agents/layout/bot/what-if/${runId}`)).json();
        return run!.status === 'completed' || run!.status === 'failed';
      },
      100_000,
    );
    expect(run!.status, run!.error ?? '').to.equal('completed');
    expect(run!.differences).to.equal(1);
  });

  it('a run whose worker was SIGKILLed mid-replay is taken up by the next worker and completes', async () => {
    const chat = (await (await post('/agents/layout/bot/chats', {})).json()).id as string;
    llm.reset();
    llm.script([{ text: 'recorded again' }]);
    const sent = await post(`/chats/${chat}/messages`, { content: 'hello again' });
    expect(sent.status, await sent.clone().text()).to.equal(200);
    llm.reset();
    // the first replay call stalls until its worker is gone; the next worker's call is answered
    llm.script([{ hangAfterChunks: 1 }, { text: 'recorded again' }]);
    const started = await post('/api/v1/agents/layout/bot/what-if', { chats: [chat] });
    expect(started.status, await started.clone().text()).to.equal(202);
    const runId = (await started.json()).run_id as string;
    await until('the worker to call the model', () => llm.requests.length > 0, 100_000);
    const first = worker!;
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    worker = spawnWorker(t.db.url);
    let run: { status: string; done: number; differences: number; error: string | null } | undefined;
    await until(
      'the next worker to finish the run',
      async () => {
        run = await (await t.api(`/api/v1/agents/layout/bot/what-if/${runId}`)).json();
        return run!.status === 'completed' || run!.status === 'failed';
      },
      100_000,
    );
    expect(run!.status, run!.error ?? '').to.equal('completed');
    expect(run!).to.include({ done: 1, differences: 0 });
    expect(llm.requests).to.have.length(2);
  });
});
