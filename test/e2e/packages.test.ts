/**
 * Packages over HTTP (reference §5.13, §6): install marks every resource `managed_by: pkg:<name>`,
 * a reinstall changes nothing, a new version updates what changed and deletes what it dropped, a
 * preview writes nothing, uninstall removes exactly what the package still manages, sections a
 * package may not carry are skipped with a warning, and create/export build installable YAML.
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import { managedByOf } from '../../src/commands/config/ownership.js';
import type { EventStore } from '../../src/events/event-store.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

const pkg = (o: { version: string; greet: string; helper: boolean }) => `
apiVersion: sinas.co/v1
kind: SinasPackage
package:
  name: desk-tools
  version: "${o.version}"
  author: Ada
spec:
  roles:
    - name: DeskRole
      permissions: []
  functions:
    - namespace: desk
      name: greet
      description: ${o.greet}
      code: |
        def handler(input_data, context):
            return {"hello": 1}
${
  o.helper
    ? `    - namespace: desk
      name: helper
      code: |
        def handler(input_data, context):
            return {}
`
    : ''
}  skills:
    - namespace: desk
      name: guide
      description: how to greet
      content: Say hello.
  agents:
    - namespace: desk
      name: bot
      enabledFunctions: [desk/greet${o.helper ? ', desk/helper' : ''}]
      enabledSkills: [desk/guide]
`;

const V1 = pkg({ version: '1.0.0', greet: 'says hello', helper: true });
const V2 = pkg({ version: '2.0.0', greet: 'says hello warmly', helper: false });

describe('packages', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let store: EventStore;
  const install = (source: string, path = 'install') =>
    t.api(`/api/v1/packages/${path}`, { method: 'POST', json: { source } });
  const managedBy = async (stream: string) => managedByOf(await store.readStream(stream));
  const status = async (path: string) => (await t.api(path)).status;

  before(async () => {
    t = await startTestPlatform();
    store = t.platform.services.eventStore;
  });
  after(async () => {
    await t?.stop();
  });

  it('installs a package: every resource managed by pkg:<name>, forbidden sections skipped with a warning', async () => {
    const res = await install(V1);
    const r = await res.json();
    expect(res.status, JSON.stringify(r)).to.equal(200);
    expect(r.apply.summary.created).to.deep.equal({ function: 2, skill: 1, agent: 1 });
    expect(r.apply.warnings.join('\n')).to.match(/spec\.roles: a package may not carry roles/);
    expect(await status('/api/v1/roles/DeskRole')).to.equal(404);
    for (const s of ['function-desk/greet', 'function-desk/helper', 'agent-desk/bot'])
      expect(await managedBy(s), s).to.equal('pkg:desk-tools');
    const list = await (await t.api('/api/v1/packages')).json();
    expect(list.map((p: { name: string; version: string }) => [p.name, p.version])).to.deep.equal([
      ['desk-tools', '1.0.0'],
    ]);
    const one = await (await t.api('/api/v1/packages/desk-tools')).json();
    expect(one.author).to.equal('Ada');
    expect(one.resources.map((x: { resourceName: string }) => x.resourceName).sort()).to.deep.equal([
      'desk/bot',
      'desk/greet',
      'desk/guide',
      'desk/helper',
    ]);
  });

  it('reinstalling the same version changes nothing and writes no event', async () => {
    const head = await store.headPosition();
    const r = await (await install(V1)).json();
    expect(r.apply.summary.unchanged).to.deep.equal({ function: 2, skill: 1, agent: 1 });
    expect(r.apply.summary.created).to.deep.equal({});
    expect(await store.headPosition()).to.equal(head);
  });

  it('a preview of a new version reports the changes and the deletion, and writes nothing', async () => {
    const head = await store.headPosition();
    const r = await (await install(V2, 'preview')).json();
    expect(r.apply.dryRun).to.equal(true);
    expect(r.apply.summary.updated).to.deep.equal({ function: 1, agent: 1 });
    expect(r.removed.map((x: { resourceName: string }) => x.resourceName)).to.deep.equal(['desk/helper']);
    expect(await store.headPosition()).to.equal(head);
    expect(await status('/api/v1/functions/desk/helper')).to.equal(200);
  });

  it('installing a newer version updates what changed and deletes what it dropped', async () => {
    const res = await install(V2);
    const r = await res.json();
    expect(res.status, JSON.stringify(r)).to.equal(200);
    expect(r.apply.summary.deleted).to.deep.equal({ function: 1 });
    expect(await status('/api/v1/functions/desk/helper')).to.equal(404);
    const greet = await (await t.api('/api/v1/functions/desk/greet')).json();
    expect(greet.description).to.equal('says hello warmly');
    const bot = await (await t.api('/api/v1/agents/desk/bot')).json();
    expect(bot.enabled_functions).to.deep.equal(['desk/greet']);
    const one = await (await t.api('/api/v1/packages/desk-tools')).json();
    expect(one.version).to.equal('2.0.0');
    expect(one.resources).to.have.length(3);
  });

  it('exports the installed package as YAML that reinstalls unchanged', async () => {
    const res = await t.api('/api/v1/packages/desk-tools/export');
    expect(res.headers.get('content-type')).to.match(/yaml/);
    const yaml = await res.text();
    expect(yaml)
      .to.match(/kind: SinasPackage/)
      .and.match(/version: 2\.0\.0/);
    expect(yaml).to.include('greet').and.not.to.include('helper');
    const r = await (await install(yaml)).json();
    expect(r.apply.summary.unchanged).to.deep.equal({ function: 1, skill: 1, agent: 1 });
  });

  it('skips, with a warning, a resource a user made, and leaves it theirs; forced, it takes it over', async () => {
    const mine = await t.api('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'desk',
        name: 'helper',
        code: 'def handler(input_data, context):\n    return {"mine": 1}\n',
      },
    });
    expect(mine.status).to.equal(201);
    const res = await install(V1);
    const r = await res.json();
    expect(res.status, JSON.stringify(r)).to.equal(200);
    expect(r.apply.success).to.equal(true);
    expect(r.apply.warnings).to.include(
      "spec.functions[1]: function 'desk/helper' exists but is not managed by 'pkg:desk-tools'. Skipping.",
    );
    expect(r.package.resources.map((x: { resourceName: string }) => x.resourceName)).not.to.include(
      'desk/helper',
    );
    expect(await managedBy('function-desk/helper')).to.equal(undefined);
    const kept = await (await t.api('/api/v1/functions/desk/helper')).json();
    expect(kept.code).to.contain('"mine": 1');
    // forced, it would take it over (a preview: shown, not written)
    const head = await store.headPosition();
    const forced = await t.api('/api/v1/packages/preview', {
      method: 'POST',
      json: { source: V1, force: true },
    });
    const f = await forced.json();
    expect(forced.status, JSON.stringify(f)).to.equal(200);
    expect(f.apply.warnings.join('\n')).to.match(/helper.*taken over/);
    expect(await store.headPosition()).to.equal(head);
  });

  it('skips, with a warning, a resource another package manages, and installs the rest', async () => {
    const other = `
apiVersion: sinas.co/v1
kind: SinasPackage
package: { name: other-tools, version: "1.0.0" }
spec:
  functions:
    - namespace: desk
      name: greet
      description: not yours
      code: |
        def handler(input_data, context):
            return {"other": 1}
  skills:
    - { namespace: other, name: note, description: a note, content: Hi. }
`;
    const res = await install(other);
    const r = await res.json();
    expect(res.status, JSON.stringify(r)).to.equal(200);
    expect(r.apply.warnings).to.include(
      "spec.functions[0]: function 'desk/greet' exists but is managed by 'pkg:desk-tools'. Skipping.",
    );
    expect(r.apply.summary.created).to.deep.equal({ skill: 1 });
    expect(await managedBy('function-desk/greet')).to.equal('pkg:desk-tools');
    expect((await (await t.api('/api/v1/functions/desk/greet')).json()).description).to.equal('says hello');
    expect(await managedBy('skill-other/note')).to.equal('pkg:other-tools');
    expect((await t.api('/api/v1/packages/other-tools', { method: 'DELETE' })).status).to.equal(204);
    expect(await status('/api/v1/functions/desk/greet')).to.equal(200);
    expect(await status('/api/v1/skills/other/note')).to.equal(404);
  });

  it('uninstall removes exactly what the package manages: a user resource of the same kind stays', async () => {
    const res = await t.api('/api/v1/packages/desk-tools', { method: 'DELETE' });
    expect(res.status).to.equal(204);
    expect(await status('/api/v1/functions/desk/greet')).to.equal(404);
    expect(await status('/api/v1/agents/desk/bot')).to.equal(404);
    expect(await status('/api/v1/skills/desk/guide')).to.equal(404);
    expect(await status('/api/v1/functions/desk/helper')).to.equal(200);
    expect(await status('/api/v1/packages/desk-tools')).to.equal(404);
    expect(await (await t.api('/api/v1/packages')).json()).to.deep.equal([]);
    expect((await t.api('/api/v1/packages/desk-tools', { method: 'DELETE' })).status).to.equal(404);
  });

  it('a resource a user changed after install is detached: uninstall keeps it', async () => {
    const v2 = V2.replace('name: desk-tools', 'name: desk-two').replace(
      /namespace: desk\b/g,
      'namespace: two',
    );
    expect((await install(v2.replace(/desk\//g, 'two/'))).status).to.equal(200);
    const put = await t.api('/api/v1/functions/two/greet', {
      method: 'PUT',
      json: { description: 'mine now' },
    });
    expect(put.status).to.equal(200);
    expect((await t.api('/api/v1/packages/desk-two', { method: 'DELETE' })).status).to.equal(204);
    expect(await status('/api/v1/functions/two/greet')).to.equal(200);
    expect(await status('/api/v1/agents/two/bot')).to.equal(404);
  });

  it('creates a package from named resources; it installs on a platform where they are gone', async () => {
    const res = await t.api('/api/v1/packages/create', {
      method: 'POST',
      json: {
        name: 'made',
        version: '0.1.0',
        resources: [{ type: 'function', namespace: 'desk', name: 'helper' }],
      },
    });
    const { yaml } = await res.json();
    expect(res.status, yaml).to.equal(200);
    expect(yaml)
      .to.match(/kind: SinasPackage/)
      .and.include('mine');
    const bad = await t.api('/api/v1/packages/create', {
      method: 'POST',
      json: { name: 'made', resources: [{ type: 'role', name: 'Users' }] },
    });
    expect(bad.status).to.equal(400);
    expect((await bad.json()).detail).to.match(/resources\[0\]\.type/);
    expect((await t.api('/api/v1/functions/desk/helper', { method: 'DELETE' })).status).to.equal(204);
    const r = await (await install(yaml)).json();
    expect(r.apply.summary.created).to.deep.equal({ function: 1 });
    expect(await managedBy('function-desk/helper')).to.equal('pkg:made');
  });

  it('round trip: create from resources, install on a fresh platform, export there, compare, uninstall', async () => {
    const made = [
      [
        '/api/v1/functions',
        { namespace: 'trip', name: 'fn', code: 'def handler(input_data, context):\n    return 1\n' },
      ],
      ['/api/v1/skills', { namespace: 'trip', name: 'sk', description: 'd', content: '# how' }],
      [
        '/api/v1/agents',
        {
          namespace: 'trip',
          name: 'ag',
          enabled_functions: ['trip/fn'],
          enabled_skills: [{ skill: 'trip/sk' }],
        },
      ],
    ] as const;
    for (const [path, json] of made)
      expect((await t.api(path, { method: 'POST', json })).status, path).to.equal(201);
    const created = await t.api('/api/v1/packages/create', {
      method: 'POST',
      json: {
        name: 'trip',
        version: '1.2.0',
        author: 'Ada',
        resources: [
          { type: 'agent', namespace: 'trip', name: 'ag' },
          { type: 'function', namespace: 'trip', name: 'fn' },
          { type: 'skills', namespace: 'trip', name: 'sk' },
        ],
      },
    });
    const { yaml } = await created.json();
    const other = await startTestPlatform();
    try {
      const on = (path: string, init?: Parameters<TestPlatform['api']>[1]) => other.api(path, init);
      const r = await on('/api/v1/packages/install', { method: 'POST', json: { source: yaml } });
      expect(r.status).to.equal(200);
      expect((await r.json()).apply.summary.created).to.deep.equal({ function: 1, skill: 1, agent: 1 });
      const exported = await (await on('/api/v1/packages/trip/export')).text();
      expect(parse(exported)).to.deep.equal(parse(yaml));
      expect((await on('/api/v1/packages/trip', { method: 'DELETE' })).status).to.equal(204);
      for (const path of ['/api/v1/functions/trip/fn', '/api/v1/skills/trip/sk', '/api/v1/agents/trip/ag'])
        expect((await on(path)).status, path).to.equal(404);
    } finally {
      await other.stop();
    }
  });

  it('rejects a document that is not a package, naming the field', async () => {
    const res = await install('apiVersion: sinas.co/v1\nkind: SinasConfig\nmetadata: {name: x}\n');
    expect(res.status).to.equal(400);
    expect(JSON.stringify(await res.json())).to.match(/source/);
  });

  it('ordinary users may not install, create, read or uninstall packages', async () => {
    const key = await userKey(t, 'pkg-user');
    const as = (path: string, init: RequestInit = {}) =>
      t.api(path, { ...init, headers: { 'x-api-key': key, 'content-type': 'application/json' } });
    expect(
      (await as('/api/v1/packages/install', { method: 'POST', body: JSON.stringify({ source: V1 }) })).status,
    ).to.equal(403);
    expect(
      (await as('/api/v1/packages/preview', { method: 'POST', body: JSON.stringify({ source: V1 }) })).status,
    ).to.equal(403);
    expect((await as('/api/v1/packages')).status).to.equal(403);
    expect((await as('/api/v1/packages/made', { method: 'DELETE' })).status).to.equal(403);
  });
});
