/** API keys managed by their users: shown once, narrowed to a subset of the owner's permissions, expiry, revocation. */
import { expect } from 'chai';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

describe('API keys', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let user: Record<string, string>;
  before(async () => {
    t = await startTestPlatform();
    user = { 'x-api-key': await userKey(t, 'keyholder') };
  });
  after(async () => t?.stop());

  const create = (body: object, headers = user) =>
    t.api('/api/v1/api-keys', { method: 'POST', headers, json: body });

  it('returns the key once; lists show only its prefix; the event carries no key material', async () => {
    const r = await create({ name: 'ci' });
    expect(r.status).to.equal(201);
    const k = await r.json();
    expect(k.key).to.match(/^sk-sinas-/);
    expect(k.key.startsWith(k.key_prefix)).to.equal(true);
    const listed = await (await t.api('/api/v1/api-keys', { headers: user })).json();
    expect(JSON.stringify(listed)).to.not.contain(k.key);
    expect(listed.map((x: { id: string }) => x.id)).to.include(k.id);
    const events = await t.platform.services.eventStore.readStream(`apikey-${k.id}`);
    expect(events.map((e) => e.type)).to.deep.equal(['ApiKeyCreated']);
    expect(JSON.stringify(events.map((e) => [e.data, e.metadata]))).to.not.contain(k.key.slice(12));
    // the new key works as its owner
    expect((await t.api('/auth/me', { headers: { 'x-api-key': k.key } })).status).to.equal(200);
  });

  it("narrows a key to a subset of the owner's permissions, and refuses a wider one naming what is uncovered", async () => {
    const narrow = await (
      await create({ name: 'read-only', permissions: { 'sinas.agents/*/*.read:all': true } })
    ).json();
    const as = { 'x-api-key': narrow.key };
    expect((await t.api('/api/v1/agents', { headers: as })).status).to.equal(200);
    const denied = await t.api('/api/v1/agents', {
      method: 'POST',
      headers: as,
      json: { namespace: 'k', name: 'x' },
    });
    expect(denied.status).to.equal(403);
    const wider = await create({ name: 'wider', permissions: { 'sinas.users.read:all': true } });
    expect(wider.status).to.equal(403);
    const p = await wider.json();
    expect(p.field).to.equal('permissions');
    expect(p.detail).to.contain('sinas.users.read:all');
    const malformed = await create({ name: 'bad', permissions: { 'sinas.users': true } });
    expect(malformed.status).to.equal(400);
  });

  it('refuses an expiry in the past, and a key past its expiry no longer authenticates', async () => {
    expect((await create({ name: 'old', expires_at: '2001-01-01T00:00:00Z' })).status).to.equal(400);
    const expiresAt = Date.now() + 3000;
    const soon = await (await create({ name: 'soon', expires_at: new Date(expiresAt).toISOString() })).json();
    const me = async () => (await t.api('/auth/me', { headers: { 'x-api-key': soon.key } })).status;
    // before its expiry it works (asked only while the expiry is surely ahead, however busy the machine)
    if (Date.now() < expiresAt - 1000) expect(await me()).to.equal(200);
    // then, once past the expiry and the lookup cache, it stops (asked four times a second)
    for (let i = 0; (await me()) !== 401; i++) {
      if (i > 120) throw new Error('the key still works long after its expiry');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('revokes a key: it stops working, and the revocation is recorded; someone else cannot revoke it', async () => {
    const k = await (await create({ name: 'temp' })).json();
    const other = { 'x-api-key': await userKey(t, 'stranger') };
    expect((await t.api(`/api/v1/api-keys/${k.id}`, { method: 'DELETE', headers: other })).status).to.equal(
      404,
    );
    expect((await t.api(`/api/v1/api-keys/${k.id}`, { method: 'DELETE', headers: user })).status).to.equal(
      204,
    );
    expect((await t.api('/auth/me', { headers: { 'x-api-key': k.key } })).status).to.equal(401);
    const got = await (await t.api(`/api/v1/api-keys/${k.id}`, { headers: user })).json();
    expect(got.is_active).to.equal(false);
    const events = await t.platform.services.eventStore.readStream(`apikey-${k.id}`);
    expect(events.map((e) => e.type)).to.deep.equal(['ApiKeyCreated', 'ApiKeyRevoked']);
  });
});
