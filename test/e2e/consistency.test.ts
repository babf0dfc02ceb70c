import { expect } from 'chai';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('read-your-writes wait is bounded', function () {
  let t: TestPlatform;
  before(
    async () => (t = await startTestPlatform({ SINAS_ROLE: 'api', SINAS_CONSISTENCY_TIMEOUT_MS: '300' })),
  );
  after(async () => t && (await t.stop()));

  it('answers after the timeout with Sinas-Consistency: pending when no worker projects', async () => {
    const res = await t.api('/api/v1/agents', { method: 'POST', json: { name: 'lonely' } });
    expect(res.status).to.equal(201);
    expect(res.headers.get('sinas-consistency')).to.equal('pending');
    expect((await res.json()).name).to.equal('lonely');
    expect(res.headers.get('sinas-position')).to.match(/^\d+$/);
  });
});
