/**
 * Declarative config over HTTP (reference §6): apply every section, idempotent re-apply writing no
 * event, single-field updates, dry runs, validation naming the path, ownership, a failed apply's
 * documented state, export round trip, and the CLI.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { ConfigSection } from '../../src/commands/config/config-section.js';
import { ConfigService } from '../../src/commands/config/config-service.js';
import { configSections } from '../../src/commands/config/sections/index.js';
import { CommandHandler } from '../../src/commands/command-handler.js';
import { agentKind } from '../../src/commands/agent/agent-kind.js';
import { ResourceService } from '../../src/commands/resource/resource-service.js';
import { UnavailableError } from '../../src/errors.js';
import type { EventStore } from '../../src/events/event-store.js';
import { kindSections } from '../../src/runtime/kind-registry.js';
import { sectionPorts } from '../../src/runtime/services.js';
import { ADMIN_KEY, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

const SECRET = 'cfg-secret-value-7d1f';
const API_KEY = 'sk-cfg-provider-key-93ab';

const config = (o: { description?: string; extraAgent?: string } = {}) => `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata:
  name: support-desk
  description: everything the support desk needs
spec:
  roles:
    - name: Support
      description: support desk
      permissions:
        - { key: "sinas.agents/support/*.chat:all", value: true }
        - { key: "sinas.executions.read:own", value: true }
  users:
    - email: ada@example.com
      roles: [Support, Users]
  llmProviders:
    - name: local
      type: openai
      endpoint: http://127.0.0.1:9/v1
      apiKey: \${CFG_TEST_PROVIDER_KEY}
      models: [m1, m2]
  secrets:
    - name: CFG_TOKEN
      value: \${CFG_TEST_SECRET}
      description: ticket system token
  functions:
    - name: greet
      description: says hello
      code: |
        def handler(input_data, context):
            return {"hello": input_data.get("name")}
      inputSchema: { type: object, properties: { name: { type: string } } }
  agents:
    - namespace: support
      name: helper
      description: ${o.description ?? 'answers tickets'}
      llmProviderName: local
      model: m1
      enabledFunctions: [greet]
      systemPrompt: You help.
${o.extraAgent ?? ''}`;

describe('declarative config', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let store: EventStore;
  const head = () => store.headPosition();
  const apply = (yaml: string, query = '') =>
    t.api(`/api/v1/config/apply${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });

  before(async () => {
    process.env.CFG_TEST_PROVIDER_KEY = API_KEY;
    process.env.CFG_TEST_SECRET = SECRET;
    t = await startTestPlatform();
    store = t.platform.services.eventStore;
  });
  after(async () => {
    delete process.env.CFG_TEST_PROVIDER_KEY;
    delete process.env.CFG_TEST_SECRET;
    await t?.stop();
  });

  it('applies a config with every section: everything created, no value in the response', async () => {
    const res = await apply(config());
    const text = await res.text();
    expect(res.status, text).to.equal(200);
    expect(text).not.to.include(SECRET).and.not.to.include(API_KEY);
    const r = JSON.parse(text);
    expect(r.success).to.equal(true);
    expect(r.summary.created).to.deep.equal({
      role: 1,
      user: 1,
      llmProvider: 1,
      secret: 1,
      function: 1,
      agent: 1,
    });
    const agent = await (await t.api('/api/v1/agents/support/helper')).json();
    expect(agent.enabled_functions).to.deep.equal(['default/greet']);
    const provider = await (await t.api('/api/v1/llm-providers/local')).json();
    expect(agent.llm_provider_id).to.equal(provider.id);
    expect(provider.config).to.deep.equal({ models: ['m1', 'm2'] });
    const users = await (await t.api('/api/v1/users?search=ada@')).json();
    expect(users[0].roles).to.deep.equal(['Support', 'Users']);
    const role = await (await t.api('/api/v1/roles/Support')).json();
    expect(role.permissions).to.deep.equal({
      'sinas.agents/support/*.chat:all': true,
      'sinas.executions.read:own': true,
    });
    expect((await t.api('/api/v1/secrets/CFG_TOKEN')).status).to.equal(200);
  });

  it('the same config again: everything unchanged and no event appended', async () => {
    const before = await head();
    const r = await (await apply(config())).json();
    expect(r.success).to.equal(true);
    expect(r.summary.created).to.deep.equal({});
    expect(r.summary.updated).to.deep.equal({});
    expect(r.changes.every((c: { action: string }) => c.action === 'unchanged')).to.equal(true);
    expect(await head()).to.equal(before);
  });

  it('one changed field is one update; a changed secret value is an update of `value` only', async () => {
    let r = await (await apply(config({ description: 'answers every ticket' }))).json();
    const updated = r.changes.filter((c: { action: string }) => c.action === 'update');
    expect(updated).to.have.length(1);
    expect(updated[0]).to.include({ resourceType: 'agent', resourceName: 'support/helper' });
    expect(updated[0].changes).to.deep.equal(['description']);
    const agent = await (await t.api('/api/v1/agents/support/helper')).json();
    expect(agent.description).to.equal('answers every ticket');

    process.env.CFG_TEST_SECRET = 'rotated-value-55';
    r = await (await apply(config({ description: 'answers every ticket' }))).json();
    process.env.CFG_TEST_SECRET = SECRET;
    const changed = r.changes.filter((c: { action: string }) => c.action === 'update');
    expect(
      changed.map((c: { resourceName: string; changes: string[] }) => [c.resourceName, c.changes]),
    ).to.deep.equal([['CFG_TOKEN', ['value']]]);
    expect(JSON.stringify(r)).not.to.include('rotated-value-55');
  });

  it('a dry run reports the same change list and writes nothing', async () => {
    const before = await head();
    const r = await (await apply(config({ description: 'dry' }), '?dryRun=true')).json();
    expect(r.dryRun).to.equal(true);
    const byName = Object.fromEntries(
      r.changes.map((c: { resourceName: string; action: string }) => [c.resourceName, c.action]),
    );
    expect(byName['support/helper']).to.equal('update');
    expect(byName.CFG_TOKEN).to.equal('update'); // the value differs from the stored rotated one
    expect(await head()).to.equal(before);
    const agent = await (await t.api('/api/v1/agents/support/helper')).json();
    expect(agent.description).to.equal('answers every ticket');
  });

  it('an invalid config is a 400 naming the path, and nothing is written', async () => {
    const cases: [string, string, RegExp][] = [
      [config().replace('name: helper', 'name: 1helper'), 'spec.agents[0].name', /pattern/],
      [
        config().replace('enabledFunctions: [greet]', 'enabledFunctions: [greet, nope]'),
        'spec.agents[0].enabledFunctions[1]',
        /default\/nope/,
      ],
      [config().replace('return {"hello"', 'return {"hello" +'), 'spec.functions[0].code', /syntax error/i],
      [
        config().replace(
          'enabledFunctions: [greet]',
          'enabledFunctions: [greet]\n      enabledStores: [nope/none]',
        ),
        'spec.agents[0].enabledStores[0]',
        /no store 'nope\/none'/,
      ],
      [
        config().replace(
          'enabledFunctions: [greet]',
          'enabledFunctions: [greet]\n      enabledSkills: [nope/skill]',
        ),
        'spec.agents[0].enabledSkills[0]',
        /no skill 'nope\/skill'/,
      ],
      [
        config().replace('CFG_TEST_SECRET', 'CFG_TEST_UNSET_VAR'),
        'spec.secrets[0].value',
        /CFG_TEST_UNSET_VAR/,
      ],
      [
        config().replace('roles: [Support, Users]', 'roles: [Support, Nobody]'),
        'spec.users[0].roles[1]',
        /Nobody/,
      ],
      [config().replace('kind: SinasConfig', 'kind: Other'), 'kind', /SinasConfig/],
      [config().replace('  secrets:', '  widgets: []\n  secrets:'), 'spec.widgets', /unknown/],
      ['apiVersion: [unclosed', 'root', /./],
    ];
    const before = await head();
    for (const [yaml, at, message] of cases) {
      const res = await apply(yaml);
      const p = await res.json();
      expect(res.status, at).to.equal(400);
      const e = p.errors.find((x: { field: string }) => x.field === at);
      expect(e, `${at} in ${JSON.stringify(p.errors)}`).to.not.equal(undefined);
      expect(e.message).to.match(message);
      const v = await (
        await t.api('/api/v1/config/validate', { method: 'POST', json: { config: yaml } })
      ).json();
      expect(v.valid).to.equal(false);
      expect(v.errors.map((x: { path: string }) => x.path)).to.include(at);
    }
    expect(await head()).to.equal(before);
    const ok = await (
      await t.api('/api/v1/config/validate', { method: 'POST', json: { config: config() } })
    ).json();
    expect(ok).to.include({ valid: true });
  });

  it('refuses to overwrite a resource changed outside config unless forced', async () => {
    const r0 = await t.api('/api/v1/agents/support/helper', { method: 'PATCH', json: { model: 'm2' } });
    expect(r0.status).to.equal(200);
    const before = await head();
    const refused = await apply(config({ description: 'answers every ticket' }));
    expect(refused.status).to.equal(409);
    const p = await refused.json();
    expect(p.errors[0].field).to.equal('spec.agents[0]');
    expect(p.errors[0].message).to.match(/not managed by config/);
    expect(await head()).to.equal(before);
    const forced = await (await apply(config({ description: 'answers every ticket' }), '?force=true')).json();
    expect(forced.success).to.equal(true);
    expect(forced.warnings.join()).to.match(/taken over/);
    const agent = await (await t.api('/api/v1/agents/support/helper')).json();
    expect(agent.model).to.equal('m1');
  });

  it('a write that fails midway stops the apply: earlier writes stay, the rest are listed, a re-apply finishes', async () => {
    const c = t.platform;
    const failing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'append')
          return (stream: string, ...rest: unknown[]) =>
            stream.startsWith('agent-')
              ? Promise.reject(new UnavailableError('injected: the event store went away'))
              : (target.append as (...a: unknown[]) => unknown)(stream, ...rest);
        return Reflect.get(target, prop, receiver);
      },
    });
    const real = c.services.agents;
    const brokenAgents = new ResourceService(agentKind, failing, new CommandHandler(failing), async () => []);
    const sections = configSections(
      { store, identity: c.services.identity, identityCatalog: c.services.queries.identity },
      kindSections(
        c.kinds,
        { ...c.services.kinds, agents: brokenAgents },
        sectionPorts(c.services, pino({ level: 'silent' })),
      ),
    ) as ConfigSection[];
    const settle = () => c.services.configService.settle();
    const service = new ConfigService({ sections, store, env: () => process.env, settle });
    expect(real.kind).to.equal(agentKind);
    const yaml = `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: half-done }
spec:
  functions:
    - { namespace: half, name: first, code: "def handler(i, c):\\n    return 1\\n" }
  agents:
    - { namespace: half, name: second, enabledFunctions: [half/first] }
`;
    const r = await service.apply(yaml, {}, { userId: 'admin-test', isAdmin: true });
    expect(r.success).to.equal(false);
    expect(r.failed).to.include({ resourceType: 'agent', resourceName: 'half/second' });
    expect(r.notWritten).to.deep.equal([{ resourceType: 'agent', resourceName: 'half/second' }]);
    expect(r.changes.map((x) => [x.action, x.resourceName])).to.deep.equal([['create', 'half/first']]);
    const events = await store.readStream('config-half-done');
    expect(events.map((e) => e.type)).to.deep.equal(['ConfigApplyFailed']);
    expect(events[0]!.data).to.deep.include({
      notWritten: [{ resourceType: 'agent', resourceName: 'half/second' }],
    });
    await settle();
    expect((await t.api('/api/v1/functions/half/first')).status).to.equal(200);
    expect((await t.api('/api/v1/agents/half/second')).status).to.equal(404);

    const again = await (await apply(yaml)).json();
    expect(again.changes.map((x: { action: string }) => x.action)).to.deep.equal(['unchanged', 'create']);
    expect((await t.api('/api/v1/agents/half/second')).status).to.equal(200);
  });

  it('exports the platform as a config that applies back unchanged, without values', async () => {
    const res = await t.api('/api/v1/config/export');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/yaml/);
    const yaml = await res.text();
    expect(yaml).to.include('kind: SinasConfig').and.include('name: exported-config');
    expect(yaml).to.include('support/helper'.split('/')[1]!);
    expect(yaml).not.to.include(SECRET).and.not.to.include(API_KEY);
    const before = await head();
    const r = await (await apply(yaml)).json();
    expect(r.success, JSON.stringify(r)).to.equal(true);
    const notUnchanged = r.changes.filter((c: { action: string }) => c.action !== 'unchanged');
    expect(notUnchanged, JSON.stringify(notUnchanged)).to.deep.equal([]);
    expect(await head()).to.equal(before);
  });

  it('needs the config permissions: an ordinary user is refused', async () => {
    const key = await userKey(t, 'cfg-user');
    const res = await t.api('/api/v1/config/validate', {
      method: 'POST',
      headers: { 'x-api-key': key },
      json: { config: config() },
    });
    expect(res.status).to.equal(403);
  });

  it('the CLI validates, applies (dry run and real) and exports through the API', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sinas-cfg-'));
    const file = path.join(dir, 'config.yaml');
    const bad = path.join(dir, 'bad.yaml');
    const out = path.join(dir, 'export.yaml');
    await writeFile(
      file,
      config({
        description: 'answers every ticket',
        extraAgent: '    - { namespace: support, name: triage }\n',
      }),
    );
    await writeFile(bad, config().replace('enabledFunctions: [greet]', 'enabledFunctions: [missing]'));
    const cli = (...args: string[]) => run(args, { SINAS_URL: t.url, SINAS_API_KEY: ADMIN_KEY });

    const invalid = await cli('validate', '-f', bad);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.include('spec.agents[0].enabledFunctions[0]');
    expect((await cli('validate', '-f', file)).code).to.equal(0);

    const before = await head();
    const dry = await cli('apply', '-f', file, '--dry-run');
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/\+ create\s+agent support\/triage/);
    expect(dry.stdout).to.include('dry run: 1 would be created');
    expect(await head()).to.equal(before);

    const real = await cli('apply', '-f', file);
    expect(real.code, real.stderr).to.equal(0);
    expect(real.stdout, real.stdout).to.match(/1 created, 0 updated, \d+ unchanged/);
    expect((await cli('apply', '-f', bad)).code).to.equal(1);

    const exported = await cli('export', '-o', out);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(await readFile(out, 'utf8')).to.include('name: triage');
  });
});

function run(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/sinas.js', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
