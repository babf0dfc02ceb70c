/**
 * Listing and reading components (reference §5.9): a list leaves out the large fields
 * (ComponentListResponse), reading one shows them; and `visibility` as the original's permission
 * mixin has it: a `shared` or `public` component is listed and readable by every user who may read
 * components, a `private` one only by its owner (and administrators), and changes stay the owner's.
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import {
  ADMIN_KEY,
  startTestPlatform,
  useProvider,
  userKey,
  type TestPlatform,
} from '../support/platform.js';
import { until } from '../support/until.js';

const SOURCE = `export default function Hi() { return <p>hi</p>; }`;
const LARGE = ['source_code', 'compiled_bundle', 'source_map', 'css_overrides'];

describe('component listing and visibility', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let alice: string;
  let bob: string;
  const as = (key: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
    t.api(path, { ...init, headers: { 'x-api-key': key } });

  before(async () => {
    t = await startTestPlatform();
    // alice may make components of her own; bob has the ordinary Users role (read:own)
    expect((await t.api('/api/v1/roles', { method: 'POST', json: { name: 'Makers' } })).status).to.equal(201);
    for (const action of ['create', 'read', 'update', 'delete']) {
      const r = await t.api('/api/v1/roles/Makers/permissions', {
        method: 'POST',
        json: { permission_key: `sinas.components/*/*.${action}:own`, permission_value: true },
      });
      expect(r.status).to.be.oneOf([200, 201]);
    }
    alice = await userKey(t, 'alice', ['Users', 'Makers']);
    bob = await userKey(t, 'bob');
    for (const visibility of ['private', 'shared', 'public']) {
      const r = await as(alice, '/api/v1/components', {
        method: 'POST',
        json: { namespace: 'al', name: visibility, source_code: SOURCE, css_overrides: '.x{}', visibility },
      });
      expect(r.status, await r.clone().text()).to.equal(201);
    }
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  let llm: ScriptedLlm | undefined;

  const names = async (key: string) => {
    const r = await as(key, '/api/v1/components?namespace=al');
    expect(r.status).to.equal(200);
    return { total: r.headers.get('x-total-count'), items: (await r.json()) as Record<string, unknown>[] };
  };

  it('a list leaves out source_code, compiled_bundle, source_map and css_overrides; reading one shows them', async () => {
    await until('the three built', async () =>
      (await names(ADMIN_KEY)).items.every((i) => i.compile_status === 'success'),
    );
    const { items } = await names(ADMIN_KEY);
    expect(items.map((i) => i.name)).to.have.members(['private', 'shared', 'public']);
    for (const i of items) {
      for (const f of LARGE) expect(i, f).not.to.have.property(f);
      expect(i).to.include({ namespace: 'al', compile_status: 'success' });
      expect(i.render_token).to.be.a('string');
      expect(i).to.have.property('enabled_stores');
    }
    const one = await (await t.api('/api/v1/components/al/shared')).json();
    expect(one).to.include({ source_code: SOURCE, css_overrides: '.x{}' });
    expect(one.compiled_bundle).to.contain('__SinasComponent__');
    expect(JSON.parse(one.source_map as string)).to.include.keys('mappings', 'sources');
  });

  it('another user lists and reads shared and public components, never a private one', async () => {
    const { items, total } = await names(bob);
    expect(items.map((i) => i.name)).to.have.members(['shared', 'public']);
    expect(total).to.equal('2');
    for (const name of ['shared', 'public']) {
      const r = await as(bob, `/api/v1/components/al/${name}`);
      expect(r.status, name).to.equal(200);
      expect((await r.json()).source_code).to.equal(SOURCE);
    }
    const hidden = await as(bob, '/api/v1/components/al/private');
    expect(hidden.status).to.be.oneOf([403, 404]);
    expect(await hidden.text()).not.to.contain('Hi()');
    expect((await as(bob, '/api/v1/components/al/private/versions')).status).to.be.oneOf([403, 404]);
  });

  it('the owner lists all of theirs; others may read an open component but not change or delete it', async () => {
    expect((await names(alice)).items.map((i) => i.name)).to.have.members(['private', 'shared', 'public']);
    const put = await as(bob, '/api/v1/components/al/public', { method: 'PUT', json: { title: 'mine now' } });
    expect(put.status).to.equal(403);
    const del = await as(bob, '/api/v1/components/al/shared', { method: 'DELETE' });
    expect(del.status).to.equal(403);
    // a private one turned public opens up; turned private again it is hidden again
    const open = await as(alice, '/api/v1/components/al/private', {
      method: 'PUT',
      json: { visibility: 'public' },
    });
    expect(open.status).to.equal(200);
    expect((await as(bob, '/api/v1/components/al/private')).status).to.equal(200);
    await as(alice, '/api/v1/components/al/private', { method: 'PUT', json: { visibility: 'private' } });
    expect((await as(bob, '/api/v1/components/al/private')).status).to.be.oneOf([403, 404]);
    expect((await names(bob)).items.map((i) => i.name)).not.to.include('private');
  });

  it("an agent offers another user's public component to a chat user, never a private one", async () => {
    llm = await startScriptedLlm();
    await useProvider(t, llm.url);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'al', name: 'shower', enabled_components: ['al/public', 'al/private'] },
    });
    expect(agent.status).to.equal(201);
    llm.script([{ text: 'nothing to show' }]);
    const chat = await (await as(bob, '/agents/al/shower/chats', { method: 'POST', json: {} })).json();
    const reply = await as(bob, `/chats/${chat.id as string}/messages`, {
      method: 'POST',
      json: { content: 'show' },
    });
    expect(reply.status).to.equal(200);
    const tools = ((llm.requests[0]!.tools ?? []) as { function: { name: string } }[]).map(
      (x) => x.function.name,
    );
    expect(tools.filter((n) => n.startsWith('show_component_'))).to.deep.equal(['show_component_al_public']);
  });
});
