/**
 * `POST /api/v1/system/flush-stuck-jobs` (reference §5.13, the original's System page): cancels the
 * function executions running for longer than the cut-off, administrators only.
 */
import { expect } from 'chai';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const SLEEPY = 'import time\ndef handler(input_data, context):\n    time.sleep(120)\n';

describe('flushing stuck jobs', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => t?.stop());

  const flush = (query = '', headers: Record<string, string> = {}) =>
    t.api(`/api/v1/system/flush-stuck-jobs${query}`, { method: 'POST', headers });

  it('cancels the executions running since before the cut-off, and only those', async () => {
    const fn = {
      namespace: 'sj',
      name: 'sleepy',
      code: SLEEPY,
      input_schema: { type: 'object' },
      timeout: 150,
    };
    expect((await t.api('/api/v1/functions', { method: 'POST', json: fn })).status).to.equal(201);
    const { execution_id } = await (
      await t.api('/functions/sj/sleepy/execute/async', { method: 'POST', json: {} })
    ).json();
    // the flush reads the executions read model: wait until it lists the run as RUNNING
    await until(
      'the execution listed as running',
      async () => {
        const running = await (await t.api('/executions?status=RUNNING')).json();
        return running.some((e: { execution_id: string }) => e.execution_id === execution_id);
      },
      120_000,
    ); // a first run may wait for its sandbox to start

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
});
