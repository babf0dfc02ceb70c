/**
 * Runtime discovery (reference §2.2, §5.13): `GET /agents`, `/functions`, `/skills`, `/collections`,
 * `/templates` list what the caller may read (two users, each seeing what their permissions show),
 * narrowed to an application's exposed namespaces by `X-Application` or `?app=`; and
 * `GET /agents/default`, the agent marked `is_default`, for callers who may read it.
 */
import { expect } from 'chai';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

const CODE = 'def handler(input_data, context):\n    return None\n';

describe('discovery', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let alice: string;
  let bob: string;
  const as = (key: string | undefined, path: string, init: RequestInit & { json?: unknown } = {}) =>
    t.api(path, { ...init, headers: { ...(key ? { 'x-api-key': key } : {}), ...init.headers } });
  const make = async (key: string | undefined, path: string, json: Record<string, unknown>) => {
    const r = await as(key, `/api/v1/${path}`, { method: 'POST', json });
    expect(r.status, `${path}: ${JSON.stringify(await r.clone().json())}`).to.equal(201);
  };
  const names = async (key: string | undefined, path: string, headers: Record<string, string> = {}) => {
    const r = await as(key, path, { headers });
    expect(r.status, `${path}: ${await r.clone().text()}`).to.equal(200);
    return ((await r.json()) as { namespace: string; name: string }[])
      .map((i) => `${i.namespace}/${i.name}`)
      .sort();
  };
  /** one item of every discoverable type in `namespace`, made by `key` */
  const oneOfEach = async (key: string | undefined, namespace: string, name: string) => {
    await make(key, 'agents', { namespace, name });
    await make(key, 'functions', { namespace, name, code: CODE });
    await make(key, 'skills', { namespace, name, description: 'd', content: '# c' });
    await make(key, 'collections', { namespace, name });
    await make(key, 'templates', { namespace, name, html_content: '<p>hi</p>' });
  };
  const TYPES = ['/agents', '/functions', '/skills', '/collections', '/templates'];

  before(async () => {
    t = await startTestPlatform();
    alice = await userKey(t, 'alice-discovery');
    bob = await userKey(t, 'bob-discovery');
    await oneOfEach(alice, 'ali', 'a1');
    await oneOfEach(bob, 'bo', 'b1');
    await oneOfEach(undefined, 'pub', 'p1');
  });
  after(async () => {
    await t?.stop();
  });

  it('each user discovers what they may read: their own items, and every agent (Users read all agents)', async () => {
    for (const type of ['/functions', '/skills', '/collections', '/templates']) {
      expect(await names(alice, type), `alice ${type}`).to.deep.equal(['ali/a1']);
      expect(await names(bob, type), `bob ${type}`).to.deep.equal(['bo/b1']);
      expect(await names(undefined, type), `admin ${type}`).to.deep.equal(['ali/a1', 'bo/b1', 'pub/p1']);
    }
    expect(await names(alice, '/agents')).to.deep.equal(['ali/a1', 'bo/b1', 'pub/p1']);
    // the same items the management list shows, in the same shape
    const runtime = await (await as(alice, '/functions')).json();
    const management = await (await as(alice, '/api/v1/functions')).json();
    expect(runtime).to.deep.equal(management);
  });

  it('X-Application or ?app= narrows each type to the namespaces the manifest exposes', async () => {
    await make(undefined, 'manifests', {
      namespace: 'apps',
      name: 'web',
      exposed_namespaces: { agents: ['pub'], functions: ['*'], collections: ['ali', 'pub'] },
    });
    const app = { 'x-application': 'apps/web' };
    expect(await names(undefined, '/agents', app)).to.deep.equal(['pub/p1']);
    expect(await names(undefined, '/functions', app)).to.deep.equal(['ali/a1', 'bo/b1', 'pub/p1']);
    expect(await names(undefined, '/collections', app)).to.deep.equal(['ali/a1', 'pub/p1']);
    // a type the manifest does not name shows nothing
    expect(await names(undefined, '/skills', app)).to.deep.equal([]);
    expect(await names(undefined, '/templates?app=apps/web')).to.deep.equal([]);
    expect(await names(undefined, '/agents?app=apps/web')).to.deep.equal(['pub/p1']);
    // the application narrows; the caller's permissions still apply
    expect(await names(bob, '/collections', app)).to.deep.equal([]);
    expect(await names(alice, '/collections', app)).to.deep.equal(['ali/a1']);
  });

  it('an application that does not exist is a 404, a malformed one a 400 naming the field', async () => {
    for (const type of TYPES) {
      const missing = await as(alice, type, { headers: { 'x-application': 'apps/none' } });
      expect(missing.status, type).to.equal(404);
      const bad = await as(alice, type, { headers: { 'x-application': 'no-slash' } });
      expect(bad.status, type).to.equal(400);
      expect(JSON.stringify(await bad.json())).to.contain('X-Application');
      const badQuery = await as(alice, `${type}?app=${encodeURIComponent('../x')}`);
      expect(badQuery.status, type).to.equal(400);
      expect(JSON.stringify(await badQuery.json())).to.contain('app');
    }
  });

  it('GET /agents/default: 404 without one, then the agent marked is_default, to those who may read it', async () => {
    expect((await as(alice, '/agents/default')).status).to.equal(404);
    await make(undefined, 'agents', { namespace: 'pub', name: 'helper', is_default: true });
    const got = await as(alice, '/agents/default');
    expect(got.status).to.equal(200);
    expect(await got.json()).to.include({ namespace: 'pub', name: 'helper', is_default: true });
    // a guest holds no agent read permission
    const guest = await userKey(t, 'guest-discovery', ['GuestUsers']);
    expect((await as(guest, '/agents/default')).status).to.equal(403);
    // marking another agent the default moves the flag
    await make(alice, 'agents', { namespace: 'ali', name: 'mine', is_default: true });
    expect(await (await as(bob, '/agents/default')).json()).to.include({ namespace: 'ali', name: 'mine' });
    expect((await as(undefined, '/agents/default')).status).to.equal(200);
  });
});
