import { expect } from 'chai';
import { until } from '../support/until.js';
import type { EventStore } from '../../src/events/event-store.js';
import { startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';

describe('Agents over HTTP', function () {
  let t: TestPlatform;
  before(async () => (t = await startTestPlatform()));
  after(async () => t && (await t.stop()));

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.api('/api/v1/agents', { method: 'POST', json: body, headers });

  it('creates an agent that a GET right after returns, with every default filled in', async () => {
    const res = await create({ namespace: 'support', name: 'ticket-agent', system_prompt: 'Hi {{ name }}' });
    expect(res.status).to.equal(201);
    const created = await res.json();
    expect(created).to.include({
      namespace: 'support',
      name: 'ticket-agent',
      temperature: 0.7,
      is_default: false,
      version: 1,
    });
    expect(created.enabled_functions).to.deep.equal([]);
    const got = await t.api('/api/v1/agents/support/ticket-agent');
    expect(got.status).to.equal(200);
    expect(await got.json()).to.deep.equal(created);
  });

  it('every system tool and tool kind is accepted now (packageManagement runs), on create and update', async () => {
    const created = await create({
      namespace: 'unrun',
      name: 'a',
      system_tools: ['configIntrospection', 'packageManagement'],
    });
    expect(created.status).to.equal(201);
    const named = await t.api('/api/v1/agents/unrun/a', {
      method: 'PUT',
      json: { system_tools: [{ name: 'packageManagement' }] },
    });
    expect(named.status).to.equal(200);
    // kinds being built now are accepted
    const ok = await t.api('/api/v1/agents/unrun/a', {
      method: 'PUT',
      json: { system_tools: ['codeExecution', 'configIntrospection', { name: 'databaseIntrospection' }] },
    });
    expect(ok.status).to.equal(200);
    const files = await t.api('/api/v1/agents/unrun/a', {
      method: 'PUT',
      json: { enabled_collections: [{ collection: 'x/y', access: 'readwrite' }] },
    });
    expect(files.status, 'collections run now').to.equal(200);
    const components = await t.api('/api/v1/agents/unrun/a', {
      method: 'PUT',
      json: { enabled_components: ['x/y'] },
    });
    expect(components.status, 'components run now').to.equal(200);
  });

  it('naming a skill or store that does not exist → 400 naming the field and the entry (create and update)', async () => {
    expect(
      (
        await t.api('/api/v1/skills', {
          method: 'POST',
          json: { namespace: 'refs', name: 'real', description: 'd', content: '# c' },
        })
      ).status,
    ).to.equal(201);
    expect(
      (await t.api('/api/v1/stores', { method: 'POST', json: { namespace: 'refs', name: 'real' } })).status,
    ).to.equal(201);
    const r = await create({
      namespace: 'refs',
      name: 'a',
      enabled_skills: [{ skill: 'refs/real' }, { skill: 'refs/ghost' }],
      enabled_stores: [{ store: 'refs/nowhere', access: 'readonly' }],
    });
    expect(r.status).to.equal(400);
    const p = await r.json();
    expect(p.field).to.equal('enabled_skills[1]');
    expect(p.detail).to.contain("no skill 'refs/ghost'");
    expect(p.errors).to.deep.equal([
      { field: 'enabled_skills[1]', message: "no skill 'refs/ghost' on the platform" },
      { field: 'enabled_stores[0]', message: "no store 'refs/nowhere' on the platform" },
    ]);
    const ok = await create({
      namespace: 'refs',
      name: 'a',
      enabled_skills: [{ skill: 'refs/real' }],
      enabled_stores: [{ store: 'refs/real', access: 'readonly' }],
    });
    expect(ok.status).to.equal(201);
    const put = await t.api('/api/v1/agents/refs/a', {
      method: 'PUT',
      json: { enabled_stores: [{ store: 'refs/real' }, { store: 'refs/gone' }] },
    });
    expect(put.status).to.equal(400);
    expect((await put.json()).field).to.equal('enabled_stores[1]');
  });
  it('keeps a version history: two PUTs give three versions with actor and changed fields', async () => {
    await create({ namespace: 'hist', name: 'a1', description: 'first' });
    const p1 = await t.api('/api/v1/agents/hist/a1', {
      method: 'PUT',
      json: { description: 'second', temperature: 0.1 },
    });
    expect(p1.status).to.equal(200);
    expect((await p1.json()).temperature).to.equal(0.1);
    await t.api('/api/v1/agents/hist/a1', { method: 'PUT', json: { max_tokens: 500 } });
    const versions = await (await t.api('/api/v1/agents/hist/a1/versions')).json();
    expect(versions).to.have.length(3);
    expect(versions.map((v: { version: number }) => v.version)).to.deep.equal([1, 2, 3]);
    expect(versions[1].changed).to.have.members(['description', 'temperature']);
    expect(versions[2].changed).to.deep.equal(['max_tokens']);
    for (const v of versions) expect(v.actor).to.be.a('string').and.not.equal('');
    const v1 = await (await t.api('/api/v1/agents/hist/a1?version=1')).json();
    expect(v1).to.include({ description: 'first', temperature: 0.7, version: 1 });
    const now = await (await t.api('/api/v1/agents/hist/a1')).json();
    expect(now).to.include({ description: 'second', max_tokens: 500, version: 3 });
  });

  it('writes nothing for a PUT that changes nothing', async () => {
    await create({ namespace: 'hist', name: 'same', description: 'x' });
    await t.api('/api/v1/agents/hist/same', { method: 'PUT', json: { description: 'x' } });
    expect(await (await t.api('/api/v1/agents/hist/same/versions')).json()).to.have.length(1);
  });

  it('answers a stale If-Match with 412 and a current one with 200', async () => {
    await create({ namespace: 'cc', name: 'a' });
    await t.api('/api/v1/agents/cc/a', { method: 'PUT', json: { description: 'one' } });
    const stale = await t.api('/api/v1/agents/cc/a', {
      method: 'PUT',
      json: { description: 'two' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).to.equal(412);
    expect((await stale.json()).field).to.equal('If-Match');
    const fresh = await t.api('/api/v1/agents/cc/a', {
      method: 'PUT',
      json: { description: 'two' },
      headers: { 'if-match': '"2"' },
    });
    expect(fresh.status).to.equal(200);
    expect(fresh.headers.get('etag')).to.equal('"3"');
  });

  it('refuses a duplicate with 409 and an unknown agent with 404', async () => {
    expect((await create({ namespace: 'dup', name: 'a' })).status).to.equal(201);
    const dup = await create({ namespace: 'dup', name: 'a' });
    expect(dup.status).to.equal(409);
    expect(dup.headers.get('content-type')).to.match(/application\/problem\+json/);
    expect((await t.api('/api/v1/agents/dup/nope')).status).to.equal(404);
    expect(
      (await t.api('/api/v1/agents/dup/nope', { method: 'PUT', json: { description: 'x' } })).status,
    ).to.equal(404);
    expect((await t.api('/api/v1/agents/dup/nope', { method: 'DELETE' })).status).to.equal(404);
    expect((await t.api('/api/v1/agents/dup/nope/versions')).status).to.equal(404);
  });

  it('deletes an agent, and lets the name be used again afterwards', async () => {
    await create({ namespace: 'del', name: 'a', description: 'old' });
    expect((await t.api('/api/v1/agents/del/a', { method: 'DELETE' })).status).to.equal(204);
    expect((await t.api('/api/v1/agents/del/a')).status).to.equal(404);
    expect(await (await t.api('/api/v1/agents?namespace=del')).json()).to.deep.equal([]);
    const again = await create({ namespace: 'del', name: 'a', description: 'new' });
    expect(again.status).to.equal(201);
    expect((await again.json()).description).to.equal('new');
    const versions = await (await t.api('/api/v1/agents/del/a/versions')).json();
    expect(versions.map((v: { type: string }) => v.type)).to.deep.equal([
      'AgentCreated',
      'AgentDeleted',
      'AgentCreated',
    ]);
  });

  it('keeps is_default on one agent only', async () => {
    // a write clears the flag on the holders the read model shows, and a busy machine can outlast
    // the bounded read-your-writes wait: so each step waits until the list shows it
    const defaults = async () =>
      (
        (await (await t.api('/api/v1/agents?namespace=def')).json()) as {
          name: string;
          is_default: boolean;
        }[]
      )
        .filter((a) => a.is_default)
        .map((a) => a.name)
        .join();
    await create({ namespace: 'def', name: 'a', is_default: true });
    await until('a to be the default', async () => (await defaults()) === 'a');
    await create({ namespace: 'def', name: 'b', is_default: true });
    await until('b alone to be the default', async () => (await defaults()) === 'b');
    await t.api('/api/v1/agents/def/a', { method: 'PUT', json: { is_default: true } });
    await until('a alone to be the default again', async () => (await defaults()) === 'a');
    const bVersions = await (await t.api('/api/v1/agents/def/b/versions')).json();
    expect(bVersions.at(-1).changed).to.deep.equal(['is_default']);
  });

  it('lists with a namespace filter and paging', async () => {
    for (const n of ['n1', 'n2', 'n3']) await create({ namespace: 'page', name: n });
    const res = await t.api('/api/v1/agents?namespace=page&skip=1&limit=1');
    expect(res.headers.get('x-total-count')).to.equal('3');
    expect((await res.json()).map((a: { name: string }) => a.name)).to.deep.equal(['n2']);
    expect((await t.api('/api/v1/agents?limit=0')).status).to.equal(400);
  });

  describe('Idempotency-Key', () => {
    it('replays the first response to a retry and writes nothing more', async () => {
      const store = t.platform.services.eventStore;
      const headers = { 'idempotency-key': 'key-create-1' };
      const first = await create({ namespace: 'idem', name: 'a' }, headers);
      const head = await store.headPosition();
      const second = await create({ namespace: 'idem', name: 'a' }, headers);
      expect(second.status).to.equal(201);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(await second.json()).to.deep.equal(await first.json());
      expect(await store.headPosition()).to.equal(head);
    });

    it('refuses the same key with a different body', async () => {
      const headers = { 'idempotency-key': 'key-create-2' };
      await create({ namespace: 'idem', name: 'b' }, headers);
      const other = await create({ namespace: 'idem', name: 'c' }, headers);
      expect(other.status).to.equal(422);
      expect((await other.json()).field).to.equal('Idempotency-Key');
      expect((await t.api('/api/v1/agents/idem/c')).status).to.equal(404);
    });
  });

  describe('bad input gets a 4xx naming the problem and writes nothing', () => {
    let store: EventStore;
    let head: bigint;
    beforeEach(async () => {
      store = t.platform.services.eventStore;
      head = await store.headPosition();
    });
    afterEach(async () => expect(await store.headPosition()).to.equal(head));

    const raw = (body: string, type = 'application/json') =>
      t.api('/api/v1/agents', { method: 'POST', body, headers: { 'content-type': type } });

    it('malformed JSON → 400', async () => {
      const r = await raw('{"name": ');
      expect(r.status).to.equal(400);
      expect((await r.json()).field).to.equal('body');
    });
    it('wrong types, unknown fields and missing name → 400 naming each field', async () => {
      const r = await create({ temperature: 'hot', surprise: 1 });
      expect(r.status).to.equal(400);
      const p = await r.json();
      expect(p.errors.map((e: { field: string }) => e.field)).to.include.members([
        'temperature',
        'surprise',
        'name',
      ]);
    });
    it('out-of-range and malformed nested values → 400', async () => {
      expect((await create({ name: 'a', temperature: 3 })).status).to.equal(400);
      const r = await create({ name: 'a', enabled_stores: [{ store: 'x/y', access: 'all' }] });
      expect((await r.json()).field).to.equal('enabled_stores.0.access');
      const bad = await create({ name: 'a', input_schema: { type: 'nonsense' } });
      expect(bad.status).to.equal(400);
      expect((await bad.json()).field).to.equal('input_schema');
    });
    it('bad namespace or name → 400', async () => {
      const r = await create({ namespace: '1bad', name: 'ok' });
      expect((await r.json()).field).to.equal('namespace');
      expect((await create({ name: 'bad/name' })).status).to.equal(400);
      expect((await create({ name: 'x'.repeat(256) })).status).to.equal(400);
      const path = await t.api('/api/v1/agents/1bad/x');
      expect(path.status).to.equal(400);
      expect((await path.json()).field).to.equal('namespace');
    });
    it('a body over the size limit → 413', async () => {
      const r = await raw(JSON.stringify({ name: 'big', description: 'x'.repeat(2 * 1024 * 1024) }));
      expect(r.status).to.equal(413);
    });
    it('a non-JSON body → 415; renaming through PUT → 400', async () => {
      expect((await raw('name=x', 'application/x-www-form-urlencoded')).status).to.equal(415);
      await create({ namespace: 'ren', name: 'a' });
      head = await store.headPosition();
      const r = await t.api('/api/v1/agents/ren/a', { method: 'PUT', json: { name: 'b' } });
      expect(r.status).to.equal(400);
      expect((await r.json()).field).to.equal('name');
    });
    it('no or a wrong API key → 401', async () => {
      expect((await fetch(`${t.url}/api/v1/agents`)).status).to.equal(401);
      const r = await t.api('/api/v1/agents', { headers: { authorization: 'Bearer nope' } });
      expect(r.status).to.equal(401);
      expect((await t.api('/api/v1/agents', { headers: { 'x-api-key': 'wrong' } })).status).to.equal(401);
    });
    it('an unknown route → 404 problem', async () => {
      const r = await t.api('/api/v1/nothing-here');
      expect(r.status).to.equal(404);
      expect(r.headers.get('content-type')).to.match(/problem\+json/);
    });
  });

  it('reports each port in /health without a key', async () => {
    const h = await (await (fetch(`${t.url}/health`) as Promise<JsonResponse>)).json();
    expect(h.status).to.equal('healthy');
    expect(h.ports.eventStore).to.deep.equal({ adapter: 'postgres', up: true });
    expect(h.ports.database.up).to.equal(true);
    expect(h.ports.jobQueue.adapter).to.be.oneOf(['in-process', 'bullmq']);
  });

  it('documents every registered route in the OpenAPI document', async () => {
    const doc = await (await (fetch(`${t.url}/api/openapi.json`) as Promise<JsonResponse>)).json();
    expect(doc.openapi).to.equal('3.1.0');
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
    const walk = (stack: Layer[]): string[] =>
      stack.flatMap((l) => {
        if (l.route) {
          const openPath = l.route.path.replace(/[:*]([A-Za-z_]+)/g, '{$1}'); // :name and a *wildcard
          return Object.keys(l.route.methods).map((m) => `${m} ${openPath}`);
        }
        return l.handle?.stack ? walk(l.handle.stack) : [];
      });
    const registered = walk((t.platform.app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(registered.length).to.be.greaterThan(5);
    for (const r of registered) {
      const [method, path] = r.split(' ') as [string, string];
      expect(doc.paths[path]?.[method], `${r} is missing from openapi.json`).to.be.an('object');
    }
  });
});
