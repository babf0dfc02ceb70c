/**
 * Approving and removing Python packages for functions (`POST /api/v1/dependencies`, `DELETE
 * /api/v1/dependencies/{id}`; reference §1.6, §5.13): administrators only, and answered as the
 * original answers with package installation off, since the runner image carries the packages.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

describe('function dependencies: approve and remove', function () {
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => t?.stop());

  it('refuses an approval with a 409 naming the package, and lists none after', async () => {
    const r = await t.api('/api/v1/dependencies', { method: 'POST', json: { package_name: 'requests' } });
    expect(r.status).to.equal(409);
    expect(r.headers.get('content-type')).to.match(/problem\+json/);
    const problem = await r.json();
    expect(problem.field).to.equal('package_name');
    expect(problem.detail).to.contain("'requests'").and.to.contain('runner image');
    expect(await (await t.api('/api/v1/dependencies')).json()).to.deep.equal([]);
  });

  it('answers a bad body with a 400 naming the field', async () => {
    for (const json of [
      {},
      { package_name: '' },
      { package_name: 'x; rm -rf /' },
      { package_name: 'a', x: 1 },
    ]) {
      const r = await t.api('/api/v1/dependencies', { method: 'POST', json });
      expect(r.status, JSON.stringify(json)).to.equal(400);
      expect((await r.json()).field, JSON.stringify(json)).to.be.a('string');
    }
  });

  it('has no approval to remove: 404 for an id, 400 for what is no id', async () => {
    const r = await t.api(`/api/v1/dependencies/${randomUUID()}`, { method: 'DELETE' });
    expect(r.status).to.equal(404);
    expect((await r.json()).detail).to.contain('no package is approved');
    expect((await t.api('/api/v1/dependencies/requests', { method: 'DELETE' })).status).to.equal(400);
  });

  it('is for administrators: an ordinary user gets 403 for both', async () => {
    const headers = { 'x-api-key': await userKey(t, 'dep_user') };
    const post = await t.api('/api/v1/dependencies', {
      method: 'POST',
      headers,
      json: { package_name: 'x' },
    });
    expect(post.status).to.equal(403);
    const del = await t.api(`/api/v1/dependencies/${randomUUID()}`, { method: 'DELETE', headers });
    expect(del.status).to.equal(403);
  });
});
