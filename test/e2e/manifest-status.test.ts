/**
 * `GET /manifests/{ns}/{name}/status`: which of an application's required resources exist, which
 * of its permissions the caller holds, which stores it depends on exist, and whether it is ready.
 */
import { expect } from 'chai';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

interface Status {
  ready: boolean;
  resources: { satisfied: unknown[]; missing: unknown[] };
  permissions: Record<'required' | 'optional', { granted: string[]; missing: string[] }>;
  stores: { satisfied: unknown[]; missing: unknown[] };
}

describe('manifest status', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  const post = async (path: string, json: unknown) => {
    const r = await t.api(path, { method: 'POST', json });
    expect(r.status, await r.clone().text()).to.equal(201);
  };
  const status = async (key?: string) => {
    const r = await t.api('/manifests/app/crm/status', key ? { headers: { 'x-api-key': key } } : {});
    expect(r.status, await r.clone().text()).to.equal(200);
    return (await r.json()) as Status;
  };

  before(async () => {
    t = await startTestPlatform();
    await post('/api/v1/functions', {
      namespace: 'app',
      name: 'echo',
      code: 'def handler(input_data, context):\n    return input_data\n',
    });
    await post('/api/v1/stores', { namespace: 'app', name: 'notes' });
    await post('/api/v1/manifests', {
      namespace: 'app',
      name: 'crm',
      required_resources: [
        { type: 'function', namespace: 'app', name: 'echo' },
        { type: 'agent', namespace: 'app', name: 'helper' },
      ],
      required_permissions: ['sinas.functions/app/*.execute:all'],
      optional_permissions: ['sinas.agents/app/*.chat:own'],
      store_dependencies: [{ store: 'app/notes' }, { store: 'app/missing', key: 'k' }],
    });
  });
  after(async () => {
    await t?.stop();
  });

  it('names the missing resource and store; an administrator holds every permission', async () => {
    const s = await status();
    expect(s.ready).to.equal(false);
    expect(s.resources).to.deep.equal({
      satisfied: [{ type: 'function', namespace: 'app', name: 'echo' }],
      missing: [{ type: 'agent', namespace: 'app', name: 'helper' }],
    });
    expect(s.stores).to.deep.equal({
      satisfied: [{ store: 'app/notes' }],
      missing: [{ store: 'app/missing', key: 'k' }],
    });
    expect(s.permissions.required).to.deep.equal({
      granted: ['sinas.functions/app/*.execute:all'],
      missing: [],
    });
  });

  it("reports the caller's own permissions: an ordinary user misses what they do not hold", async () => {
    const key = await userKey(t, 'manifest-user');
    const s = await status(key);
    expect(s.permissions.required).to.deep.equal({
      granted: [],
      missing: ['sinas.functions/app/*.execute:all'],
    });
    expect(s.ready).to.equal(false);
  });

  it('is ready once everything it needs is there', async () => {
    await post('/api/v1/agents', { namespace: 'app', name: 'helper' });
    await post('/api/v1/stores', { namespace: 'app', name: 'missing' });
    const s = await status();
    expect(s.resources.missing).to.deep.equal([]);
    expect(s.stores.missing).to.deep.equal([]);
    expect(s.ready).to.equal(true);
  });

  it('an unknown manifest is a 404', async () => {
    const r = await t.api('/manifests/app/nope/status');
    expect(r.status).to.equal(404);
  });
});
