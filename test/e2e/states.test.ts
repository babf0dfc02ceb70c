/**
 * Stores and states over HTTP (reference §5.7): per-user key spaces, private and shared states,
 * strict schemas, expiry, list filters, earlier versions, concurrent saves kept in order, and
 * encrypted states whose values never reach an event in the clear and are shredded on delete.
 */
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { statesProjection } from '../../src/projections/states.js';
import { snapshot } from '../support/rebuild-check.js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { CommandHandler } from '../../src/commands/command-handler.js';
import { stateStream } from '../../src/events/state-events.js';
import { statesOn } from '../../src/runtime/states/state-wiring.js';
import { ensureUser, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { containsAny, encodingsOf, everyTableAsText } from '../support/secrets.js';
import { until } from '../support/until.js';

describe('stores and states', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let alice: string;
  let bob: string;
  const as =
    (key: string) =>
    (path: string, init: RequestInit & { json?: unknown } = {}) =>
      t.api(path, { ...init, headers: { 'x-api-key': key } });
  const states = '/stores/team/notes/states';

  before(async () => {
    t = await startTestPlatform();
    alice = await userKey(t, 'alice');
    bob = await userKey(t, 'bob');
    const created = await t.api('/api/v1/stores', {
      method: 'POST',
      json: { namespace: 'team', name: 'notes', description: 'team notes' },
    });
    expect(created.status, await created.clone().text()).to.equal(201);
    expect(await created.json()).to.include({
      strict: false,
      default_visibility: 'private',
      encrypted: false,
    });
  });
  after(async () => t?.stop());

  it('gives every user their own key space: two users, one key, two values', async () => {
    for (const [who, value] of [
      [alice, { colour: 'red' }],
      [bob, { colour: 'blue' }],
    ] as const) {
      const r = await as(who)(states, { method: 'POST', json: { key: 'fav', value } });
      expect(r.status, await r.clone().text()).to.equal(200);
    }
    expect((await (await as(alice)(`${states}/fav`)).json()).value).to.deep.equal({ colour: 'red' });
    expect((await (await as(bob)(`${states}/fav`)).json()).value).to.deep.equal({ colour: 'blue' });
    const again = await as(alice)(states, { method: 'POST', json: { key: 'fav', value: 1 } });
    expect(again.status).to.equal(400);
    expect((await again.json()).field).to.equal('key');
  });

  it('shows a shared state to others and keeps a private one to its owner', async () => {
    await as(alice)(states, { method: 'POST', json: { key: 'plan', value: 'mine', visibility: 'private' } });
    await as(alice)(states, { method: 'POST', json: { key: 'wiki', value: 'ours', visibility: 'shared' } });
    expect((await as(bob)(`${states}/plan`)).status).to.equal(404);
    const wiki = await (await as(bob)(`${states}/wiki`)).json();
    expect(wiki).to.include({ value: 'ours', visibility: 'shared' });
    const listed = (await (await as(bob)(states)).json()) as { key: string; user_id: string }[];
    expect(listed.map((s) => s.key).sort()).to.deep.equal(['fav', 'wiki']);
    // an earlier write alice kept private stays hers, even once the state is shared
    await as(alice)(states, {
      method: 'POST',
      json: { key: 'later', value: 'draft', visibility: 'private' },
    });
    await as(alice)(`${states}/later`, { method: 'PUT', json: { value: 'final', visibility: 'shared' } });
    expect((await (await as(bob)(`${states}/later`)).json()).value).to.equal('final');
    expect((await as(bob)(`${states}/later?version=2`)).status).to.equal(200);
    expect((await as(bob)(`${states}/later?version=1`)).status).to.equal(404);
    // bob cannot change or delete alice's shared state: his writes go to his own key space
    expect((await as(bob)(`${states}/wiki`, { method: 'DELETE' })).status).to.equal(404);
  });

  it('refuses what a strict store does not allow, naming the field', async () => {
    const r = await t.api('/api/v1/stores', {
      method: 'POST',
      json: {
        namespace: 'team',
        name: 'profile',
        strict: true,
        schema: { type: 'object', properties: { age: { type: 'integer', minimum: 0 } } },
      },
    });
    expect(r.status).to.equal(201);
    const path = '/stores/team/profile/states';
    const badKey = await as(alice)(path, { method: 'POST', json: { key: 'name', value: 'x' } });
    expect(badKey.status).to.equal(400);
    expect((await badKey.json()).field).to.equal('key');
    const badValue = await as(alice)(path, { method: 'POST', json: { key: 'age', value: -1 } });
    expect(badValue.status).to.equal(400);
    expect((await badValue.json()).field).to.equal('value');
    expect((await as(alice)(path, { method: 'POST', json: { key: 'age', value: 41 } })).status).to.equal(200);
    const badSchema = await t.api('/api/v1/stores', {
      method: 'POST',
      json: { namespace: 'team', name: 'broken', schema: { type: 'nope' } },
    });
    expect(badSchema.status).to.equal(400);
    expect((await badSchema.json()).field).to.equal('schema');
  });

  it('never returns an expired state', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await as(alice)(states, { method: 'POST', json: { key: 'old', value: 1, expires_at: past } });
    await as(alice)(states, { method: 'POST', json: { key: 'new', value: 2, expires_at: future } });
    expect((await as(alice)(`${states}/old`)).status).to.equal(404);
    expect((await as(alice)(`${states}/new`)).status).to.equal(200);
    const keys = ((await (await as(alice)(states)).json()) as { key: string }[]).map((s) => s.key);
    expect(keys).to.include('new').and.not.include('old');
  });

  it('filters a list by tags, search and relevance, most relevant first', async () => {
    const path = '/stores/team/notes/states';
    const put = (key: string, tags: string[], relevance_score: number) =>
      as(bob)(path, { method: 'POST', json: { key, value: key, tags, relevance_score } });
    await put('t-low', ['work'], 0.2);
    await put('t-high', ['work', 'urgent'], 0.9);
    await put('t-home', ['home'], 0.5);
    const keys = async (q: string) =>
      ((await (await as(bob)(`${path}?${q}`)).json()) as { key: string }[]).map((s) => s.key);
    expect(await keys('tags=work')).to.deep.equal(['t-high', 't-low']);
    expect(await keys('tags=home,urgent')).to.deep.equal(['t-high', 't-home']);
    expect(await keys('tags=work&min_relevance=0.5')).to.deep.equal(['t-high']);
    expect(await keys('search=home')).to.deep.equal(['t-home']);
    expect((await as(bob)(`${path}?min_relevance=2`)).status).to.equal(400);
  });

  it('reads an earlier value with ?version=N', async () => {
    await as(alice)(states, { method: 'POST', json: { key: 'draft', value: 'v1' } });
    const put = await as(alice)(`${states}/draft`, { method: 'PUT', json: { value: 'v2' } });
    expect(await put.json()).to.include({ value: 'v2', version: 2 });
    expect((await (await as(alice)(`${states}/draft?version=1`)).json()).value).to.equal('v1');
    expect((await (await as(alice)(`${states}/draft`)).json()).value).to.equal('v2');
    expect((await as(alice)(`${states}/draft?version=9`)).status).to.equal(404);
  });

  it('keeps both of two concurrent saves to one key, the later by event order winning', async () => {
    const s = t.platform.services;
    // two workers, each with its own command handler, as two turns in two processes would be
    const worker = () =>
      statesOn({
        pool: s.pool,
        store: s.eventStore,
        handler: new CommandHandler(s.eventStore),
        stores: s.kinds.stores!,
        cipher: s.cipher,
        waiter: s.waiter,
        consistencyTimeoutMs: 5000,
      });
    const [w1, w2] = [worker(), worker()];
    const store = await w1.find('team', 'notes');
    const userId = await ensureUser(t, 'alice@example.com');
    const caller = { userId, permissions: { 'sinas.stores/*/*.write_state:own': true } };
    await Promise.all([
      w1.write(caller, store, { key: 'race', value: 'one' }, 'save', 'race-1'),
      w2.write(caller, store, { key: 'race', value: 'two' }, 'save', 'race-2'),
    ]);
    const events = await s.eventStore.readStream(stateStream(store.id, caller.userId, 'race'));
    expect(events.map((e) => e.type)).to.deep.equal(['StateSaved', 'StateSaved']);
    const last = (events[1]!.data as { value: string }).value;
    expect((events[0]!.data as { value: string }).value).to.not.equal(last);
    expect((await (await as(alice)(`${states}/race`)).json()).value).to.equal(last);
  });

  it('seals an encrypted state in its events and shreds it on delete', async () => {
    const created = await t.api('/api/v1/stores', {
      method: 'POST',
      json: { namespace: 'team', name: 'vault', encrypted: true },
    });
    expect(created.status).to.equal(201);
    const path = '/stores/team/vault/states';
    const marker = 'plaintext-marker-7f3a9c';
    const saved = await (
      await as(alice)(path, { method: 'POST', json: { key: 'k', value: { pin: marker } } })
    ).json();
    expect(saved).to.include({ encrypted: true });
    await as(alice)(`${path}/k`, { method: 'PUT', json: { value: { pin: `${marker}-2` } } });
    expect((await (await as(alice)(`${path}/k?version=1`)).json()).value).to.deep.equal({ pin: marker });
    const stream = stateStream(saved.store_id, saved.user_id, 'k');
    const raw = JSON.stringify((await t.platform.services.eventStore.readStream(stream)).map((e) => e.data));
    expect(containsAny(raw, encodingsOf(marker))).to.deep.equal([]);
    expect(containsAny(await everyTableAsText(t.platform.services.pool), encodingsOf(marker))).to.deep.equal(
      [],
    );

    expect((await as(alice)(`${path}/k`, { method: 'DELETE' })).status).to.equal(200);
    const { rows } = await t.platform.services.pool.query(
      'SELECT wrapped_key FROM secret_keys WHERE secret_id = $1',
      [saved.id],
    );
    expect(rows).to.deep.equal([{ wrapped_key: null }]);
    // the events are still there, sealed, and nothing can open them any more
    const events = await t.platform.services.eventStore.readStream(stream);
    expect(events.map((e) => e.type)).to.deep.equal(['StateSaved', 'StateSaved', 'StateDeleted']);
    expect(containsAny(JSON.stringify(events.map((e) => e.data)), encodingsOf(marker))).to.deep.equal([]);
    const old = await as(alice)(`${path}/k?version=1`);
    expect(old.status).to.equal(409);
    expect(JSON.stringify(await old.json())).to.not.contain(marker);
  });

  it('shreds a deleted store’s encrypted states and starts a store made again under its name empty', async () => {
    const make = () =>
      t.api('/api/v1/stores', { method: 'POST', json: { namespace: 'team', name: 'temp', encrypted: true } });
    expect((await make()).status).to.equal(201);
    const saved = await (
      await as(alice)('/stores/team/temp/states', { method: 'POST', json: { key: 'k', value: 'secret-ish' } })
    ).json();
    expect((await t.api('/api/v1/stores/team/temp', { method: 'DELETE' })).status).to.be.oneOf([200, 204]);
    const { pool, eventStore } = t.platform.services;
    const { rows } = await pool.query('SELECT wrapped_key FROM secret_keys WHERE secret_id = $1', [saved.id]);
    expect(rows).to.deep.equal([{ wrapped_key: null }]);
    // its rows leave the read model, and a rebuild from the events agrees
    const left = async () =>
      (await pool.query('SELECT id FROM states WHERE store_id = $1', [saved.store_id])).rows;
    expect(await left()).to.deep.equal([]);
    const before = await snapshot(pool, statesProjection.tables);
    await rebuildProjection(pool, eventStore, statesProjection);
    expect(await snapshot(pool, statesProjection.tables)).to.deep.equal(before);
    expect(await left()).to.deep.equal([]);
    expect((await as(alice)('/stores/team/temp/states/k')).status).to.equal(404);
    expect((await make()).status).to.equal(201);
    expect((await as(alice)('/stores/team/temp/states/k')).status).to.equal(404);
    expect(await (await as(alice)('/stores/team/temp/states')).json()).to.deep.equal([]);
  });

  it('destroys a deleted state’s key even when the deleting command died before it could', async () => {
    const saved = await (
      await as(alice)('/stores/team/vault/states', { method: 'POST', json: { key: 'orphan', value: 'x' } })
    ).json();
    // the delete event alone, as a command that died right after its append leaves it
    const stream = stateStream(saved.store_id, saved.user_id, 'orphan');
    const data = { stateId: saved.id, storeId: saved.store_id, userId: saved.user_id, key: 'orphan' };
    await t.platform.services.eventStore.append(
      stream,
      [
        {
          id: randomUUID(),
          type: 'StateDeleted',
          data,
          metadata: { correlationId: 'c', causationId: 'c', actor: saved.user_id, version: 1 },
        },
      ],
      'any',
    );
    await until('the key shredder to destroy the key', async () => {
      const { rows } = await t.platform.services.pool.query(
        'SELECT wrapped_key FROM secret_keys WHERE secret_id = $1',
        [saved.id],
      );
      return rows[0]?.wrapped_key === null;
    });
  });

  it('applies and exports stores in a declarative config', async () => {
    const yaml = [
      'apiVersion: sinas.co/v1',
      'kind: SinasConfig',
      'metadata: { name: st }',
      'spec:',
      '  stores:',
      '    - { namespace: cfg, name: prefs, description: user prefs, strict: true, schema: { type: object, properties: { theme: { type: string } } }, defaultVisibility: shared }',
    ].join('\n');
    const r = await t.api('/api/v1/config/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });
    expect(r.status, await r.clone().text()).to.equal(200);
    const store = await (await t.api('/api/v1/stores/cfg/prefs')).json();
    expect(store).to.include({ strict: true, default_visibility: 'shared', description: 'user prefs' });
    const saved = await (
      await as(alice)('/stores/cfg/prefs/states', { method: 'POST', json: { key: 'theme', value: 'dark' } })
    ).json();
    expect(saved.visibility).to.equal('shared');
    const exported = await (await t.api('/api/v1/config/export')).text();
    expect(exported).to.contain('prefs').and.contain('defaultVisibility: shared');
  });

  it('needs the store permissions: a user outside Users may neither read nor write', async () => {
    const guest = await userKey(t, 'guest', []);
    expect((await as(guest)(states)).status).to.equal(403);
    expect((await as(guest)(states, { method: 'POST', json: { key: 'x', value: 1 } })).status).to.equal(403);
    expect((await as(alice)('/stores/team/missing/states')).status).to.equal(404);
  });
});
