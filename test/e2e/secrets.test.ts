/**
 * Secrets over HTTP: create (an upsert), list, get, update, delete; values never come back; private
 * overrides shared for its owner only; a shared secret is the owner's (or an admin's) to change;
 * someone else's private secret does not exist for you; bad input is a 400 naming the field.
 */
import { expect } from 'chai';
import { startTestPlatform, ensureUser, userKey, type TestPlatform } from '../support/platform.js';

describe('secrets over HTTP', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let alice: { 'x-api-key': string };
  let aliceId: string;
  let bobId: string;
  let bob: { 'x-api-key': string };
  before(async () => {
    t = await startTestPlatform();
    alice = { 'x-api-key': await userKey(t, 'alice') };
    bob = { 'x-api-key': await userKey(t, 'bob') };
    aliceId = await ensureUser(t, 'alice@example.com');
    bobId = await ensureUser(t, 'bob@example.com');
  });
  after(async () => t?.stop());

  const post = (json: unknown, headers: Record<string, string> = {}) =>
    t.api('/api/v1/secrets', { method: 'POST', headers, json });

  it('creates, reads, lists, updates and deletes a secret without ever returning its value', async () => {
    const created = await post({ name: 'API_TOKEN', value: 'v-one-0001', description: 'the token' }, alice);
    expect(created.status).to.equal(201);
    const body = await created.json();
    expect(body).to.include({
      name: 'API_TOKEN',
      description: 'the token',
      visibility: 'shared',
      user_id: aliceId,
      has_value: true,
    });
    expect(body).to.have.all.keys(
      'id',
      'name',
      'description',
      'visibility',
      'user_id',
      'has_value',
      'version',
      'created_at',
      'updated_at',
    );
    const got = await t.api('/api/v1/secrets/API_TOKEN', { headers: bob });
    expect(got.status).to.equal(200);
    expect(await got.json()).to.include({ id: body.id, name: 'API_TOKEN', has_value: true });

    const updated = await t.api('/api/v1/secrets/API_TOKEN', {
      method: 'PUT',
      headers: alice,
      json: { value: 'v-two-0002', description: null },
    });
    expect(updated.status).to.equal(200);
    // ?version=N: the metadata as it was, never the value
    const v1 = await (await t.api('/api/v1/secrets/API_TOKEN?version=1', { headers: alice })).json();
    expect(v1).to.include({ name: 'API_TOKEN', description: 'the token', version: 1 });
    expect(JSON.stringify(v1)).to.not.contain('v-one-0001');
    expect((await t.api('/api/v1/secrets/API_TOKEN?version=99', { headers: alice })).status).to.equal(404);
    const u = await updated.json();
    expect(u).to.include({ id: body.id, description: null, version: 2 });
    expect(Date.parse(u.updated_at)).to.be.at.least(Date.parse(body.updated_at));

    const again = await post({ name: 'API_TOKEN', value: 'v-three-0003' }, alice);
    expect(again.status).to.equal(200); // an upsert: the same secret, a new value
    expect(await again.json()).to.include({ id: body.id, version: 3 });

    const listed = await (await t.api('/api/v1/secrets', { headers: bob })).json();
    expect(listed.map((s: { name: string }) => s.name)).to.include('API_TOKEN');
    expect(JSON.stringify(listed)).not.to.match(/v-(one|two|three)-000/);

    expect((await t.api('/api/v1/secrets/API_TOKEN', { method: 'DELETE', headers: alice })).status).to.equal(
      204,
    );
    expect((await t.api('/api/v1/secrets/API_TOKEN', { headers: alice })).status).to.equal(404);
    const recreated = await post({ name: 'API_TOKEN', value: 'v-four-0004' }, bob);
    expect(recreated.status).to.equal(201);
    const r = await recreated.json();
    expect(r.id).not.to.equal(body.id); // a new incarnation, a new data key
    expect(r).to.include({ user_id: bobId, version: 5 });
  });

  it('lets a private secret override the shared one for its owner only', async () => {
    expect((await post({ name: 'DB_PASSWORD', value: 'shared-pw-1' })).status).to.equal(201);
    expect(
      (await post({ name: 'DB_PASSWORD', value: 'alice-pw-1', visibility: 'private' }, alice)).status,
    ).to.equal(201);
    const forAlice = await (await t.api('/api/v1/secrets/DB_PASSWORD', { headers: alice })).json();
    expect(forAlice).to.include({ visibility: 'private', user_id: aliceId });
    const sharedForAlice = await (
      await t.api('/api/v1/secrets/DB_PASSWORD?visibility=shared', { headers: alice })
    ).json();
    expect(sharedForAlice).to.include({ visibility: 'shared' });
    const forBob = await (await t.api('/api/v1/secrets/DB_PASSWORD', { headers: bob })).json();
    expect(forBob).to.include({ visibility: 'shared' });
    expect((await t.api('/api/v1/secrets/DB_PASSWORD?visibility=private', { headers: bob })).status).to.equal(
      404,
    );

    const bobsList = await (await t.api('/api/v1/secrets', { headers: bob })).json();
    const bobSees = bobsList.filter((s: { name: string }) => s.name === 'DB_PASSWORD');
    expect(bobSees.map((s: { visibility: string }) => s.visibility)).to.deep.equal(['shared']);
    const alicesList = await (await t.api('/api/v1/secrets', { headers: alice })).json();
    expect(
      alicesList
        .filter((s: { name: string }) => s.name === 'DB_PASSWORD')
        .map((s: { visibility: string }) => s.visibility),
    ).to.deep.equal(['shared', 'private']);
    const adminList = await (await t.api('/api/v1/secrets?visibility=private')).json();
    expect(adminList.map((s: { user_id: string }) => s.user_id)).to.include(aliceId); // admins see every secret

    // PUT and DELETE reach alice's private one first, leaving the shared one alone
    const put = await t.api('/api/v1/secrets/DB_PASSWORD', {
      method: 'PUT',
      headers: alice,
      json: { description: 'mine' },
    });
    expect(await put.json()).to.include({ visibility: 'private', description: 'mine' });
    expect(
      (await t.api('/api/v1/secrets/DB_PASSWORD', { method: 'DELETE', headers: alice })).status,
    ).to.equal(204);
    expect(await (await t.api('/api/v1/secrets/DB_PASSWORD', { headers: alice })).json()).to.include({
      visibility: 'shared',
    });
  });

  it('lets only the owner or an administrator overwrite or delete a shared secret', async () => {
    expect((await post({ name: 'OWNED', value: 'alice-owned-1' }, alice)).status).to.equal(201);
    const store = t.platform.services.eventStore;
    const before = (await store.readStream('secret-shared/OWNED')).length;
    for (const attempt of [
      () => post({ name: 'OWNED', value: 'bob-was-here' }, bob),
      () => t.api('/api/v1/secrets/OWNED', { method: 'PUT', headers: bob, json: { value: 'bob-again' } }),
      () => t.api('/api/v1/secrets/OWNED', { method: 'DELETE', headers: bob }),
    ]) {
      const r = await attempt();
      expect(r.status).to.equal(403);
      expect(r.headers.get('content-type')).to.contain('application/problem+json');
    }
    expect((await store.readStream('secret-shared/OWNED')).length).to.equal(before);
    // a private secret of the same name is bob's own business
    expect((await post({ name: 'OWNED', value: 'bobs-own', visibility: 'private' }, bob)).status).to.equal(
      201,
    );
    const admin = await t.api('/api/v1/secrets/OWNED?visibility=shared', {
      method: 'PUT',
      json: { value: 'admin-set' },
    });
    expect(admin.status).to.equal(200);
    expect(await admin.json()).to.include({ user_id: aliceId }); // the owner stays
    expect((await t.api('/api/v1/secrets/OWNED?visibility=shared', { method: 'DELETE' })).status).to.equal(
      204,
    );
  });

  it('refuses bad input with a 400 naming the field, and writes nothing', async () => {
    const store = t.platform.services.eventStore;
    const head = await store.headPosition();
    for (const [body, field] of [
      [{ name: '1bad', value: 'x' }, 'name'],
      [{ name: 'has-dash', value: 'x' }, 'name'],
      [{ name: 'A'.repeat(256), value: 'x' }, 'name'],
      [{ name: 'EMPTY', value: '' }, 'value'],
      [{ name: 'NOVALUE' }, 'value'],
      [{ name: 'NUM', value: 42 }, 'value'],
      [{ name: 'VIS', value: 'x', visibility: 'public' }, 'visibility'],
      [{ name: 'EXTRA', value: 'x', owner: 'me' }, 'owner'],
    ] as const) {
      const r = await post(body, alice);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      const p = await r.json();
      expect(p.errors.map((e: { field: string }) => e.field)).to.include(field);
    }
    await post({ name: 'KEEP', value: 'keep-1' }, alice);
    const afterCreate = await store.headPosition();
    const bad = await t.api('/api/v1/secrets/KEEP', {
      method: 'PUT',
      headers: alice,
      json: { name: 'OTHER' },
    });
    expect(bad.status).to.equal(400);
    expect((await bad.json()).field).to.equal('name');
    const empty = await t.api('/api/v1/secrets/KEEP', { method: 'PUT', headers: alice, json: { value: '' } });
    expect((await empty.json()).field).to.equal('value');
    expect(await store.headPosition()).to.equal(afterCreate);
    expect(afterCreate > head).to.equal(true);
    expect((await t.api('/api/v1/secrets/bad-name', { headers: alice })).status).to.equal(400);
    expect((await t.api('/api/v1/secrets/NOPE', { headers: alice })).status).to.equal(404);
    expect((await t.api('/api/v1/secrets/NOPE', { method: 'DELETE', headers: alice })).status).to.equal(404);
    expect((await t.api('/api/v1/secrets?visibility=everyone', { headers: alice })).status).to.equal(400);
    expect((await t.api('/api/v1/secrets', { headers: { 'x-api-key': 'nope' } })).status).to.equal(401);
  });
});
