/**
 * The administrators' actions of the original's System page (reference §5.13):
 * `POST /api/v1/system/flush-stuck-jobs` cancels the function executions running for longer than
 * the cut-off; `POST /api/v1/queue/jobs/{job_id}/cancel` cancels the execution a function job serves.
 */
import { expect } from 'chai';
import { startTestPlatform, useProvider, userKey, type TestPlatform } from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { until } from '../support/until.js';

const SLEEPY = 'import time\ndef handler(input_data, context):\n    time.sleep(120)\n';

describe('administrators: flushing stuck jobs, cancelling a queued job', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    const fn = {
      namespace: 'sj',
      name: 'sleepy',
      code: SLEEPY,
      input_schema: { type: 'object' },
      timeout: 150,
    };
    expect((await t.api('/api/v1/functions', { method: 'POST', json: fn })).status).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });

  /** a sleepy run, once the executions read model lists it as RUNNING */
  const runningExecution = async (): Promise<string> => {
    const { execution_id } = await (
      await t.api('/functions/sj/sleepy/execute/async', { method: 'POST', json: {} })
    ).json();
    await until(
      'the execution listed as running',
      async () => {
        const running = await (await t.api('/executions?status=RUNNING')).json();
        return running.some((e: { execution_id: string }) => e.execution_id === execution_id);
      },
      120_000, // a first run may wait for its sandbox to start
    );
    return execution_id;
  };
  /** the running job of the queue serving `key` = `id` */
  const runningJob = async (key: 'execution_id' | 'chat_id', id: string): Promise<string> => {
    let jobId: string | undefined;
    await until(`a running job of ${id}`, async () => {
      const jobs = await (await t.api('/api/v1/queue/jobs?status=running')).json();
      jobId = jobs.find((j: Record<string, string>) => j[key] === id)?.job_id;
      return jobId !== undefined;
    });
    return jobId!;
  };

  const flush = (query = '', headers: Record<string, string> = {}) =>
    t.api(`/api/v1/system/flush-stuck-jobs${query}`, { method: 'POST', headers });

  it('cancels the executions running since before the cut-off, and only those', async () => {
    const execution_id = await runningExecution();

    const fresh = await flush(); // two hours by default: this run is younger
    expect(fresh.status).to.equal(200);
    expect(await fresh.json()).to.deep.equal({ cancelled: 0, max_age_hours: 2 });
    expect((await (await t.api(`/executions/${execution_id}`)).json()).status).to.equal('RUNNING');

    const all = await flush('?max_age_hours=0');
    expect(await all.json()).to.deep.equal({ cancelled: 1, max_age_hours: 0 });
    const e = await (await t.api(`/executions/${execution_id}`)).json();
    expect(e.status).to.equal('CANCELLED');
    expect(await (await flush('?max_age_hours=0')).json()).to.deep.equal({ cancelled: 0, max_age_hours: 0 });
  });

  it('is for administrators, and names a bad cut-off', async () => {
    expect((await flush('', { 'x-api-key': await userKey(t, 'sj_user') })).status).to.equal(403);
    const bad = await flush('?max_age_hours=-1');
    expect(bad.status).to.equal(400);
    expect((await bad.json()).field).to.contain('max_age_hours');
  });

  it("cancels a function job's execution; an ended job is a 409, an unknown one a 404", async () => {
    const execution_id = await runningExecution();
    const jobId = await runningJob('execution_id', execution_id);
    const r = await t.api(`/api/v1/queue/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(r.status, await r.clone().text()).to.equal(200);
    expect(await r.json()).to.deep.equal({ status: 'cancelled', job_id: jobId, execution_id });
    expect((await (await t.api(`/executions/${execution_id}`)).json()).status).to.equal('CANCELLED');
    expect((await t.api(`/api/v1/queue/jobs/${jobId}/cancel`, { method: 'POST' })).status).to.equal(409);
    const unknown = await t.api('/api/v1/queue/jobs/no-such-job/cancel', { method: 'POST' });
    expect(unknown.status).to.equal(404);
    expect((await unknown.json()).field).to.equal('job_id');
  });

  it("refuses a turn's job: the chat's owner cancels it", async () => {
    let release!: () => void;
    llm.script([
      {
        text: 'one two three four',
        chunks: 4,
        hold: { afterChunks: 1, until: new Promise<void>((r) => (release = r)) },
      },
    ]);
    expect(
      (await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'sj', name: 'a' } })).status,
    ).to.equal(201);
    const chat = await (await t.api('/agents/sj/a/chats', { method: 'POST', json: {} })).json();
    const posted = t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'hi' } });
    try {
      const jobId = await runningJob('chat_id', chat.id);
      const r = await t.api(`/api/v1/queue/jobs/${jobId}/cancel`, { method: 'POST' });
      expect(r.status).to.equal(409);
      expect((await r.json()).detail).to.contain(`/chats/{chat_id}/cancel`);
    } finally {
      release();
    }
    expect((await posted).status).to.equal(200);
  });

  it('is for administrators', async () => {
    const user = { 'x-api-key': await userKey(t, 'sj_job_user') };
    expect((await t.api('/api/v1/queue/jobs/x/cancel', { method: 'POST', headers: user })).status).to.equal(
      403,
    );
  });
});
