/**
 * Every section of the declarative config (reference §6.3), table-driven: a document with one item
 * in each applies (each created, in apply order), applies again unchanged, and exports as a config
 * that applies back unchanged; `include_secrets` and `managed_only` shape the export, database
 * connections are never exported, and `dependencies` are answered with a warning, never installed.
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import type { EventStore } from '../../src/events/event-store.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const API_KEY = 'sk-every-section-key-51c2';
const PASSWORD = 'every-section-password-8e0a';

/** one item per section, in §6.3's apply order: [section, resourceType, YAML item, where it is read back] */
const SECTIONS: readonly (readonly [string, string | undefined, string, string | undefined])[] = [
  [
    'roles',
    'role',
    '{ name: Every, permissions: [{ key: "sinas.agents/every/*.chat:all", value: true }] }',
    '/api/v1/roles/Every',
  ],
  ['users', 'user', '{ email: every@example.com, roles: [Every] }', undefined],
  [
    'llmProviders',
    'llmProvider',
    `{ name: every-llm, type: openai, endpoint: "http://127.0.0.1:9/v1", apiKey: ${API_KEY}, models: [m1] }`,
    '/api/v1/llm-providers/every-llm',
  ],
  [
    'databaseConnections',
    'databaseConnection',
    `{ name: every-db, host: 127.0.0.1, port: 9, database: d, username: u, password: ${PASSWORD} }`,
    '/api/v1/database-connections/every-db',
  ],
  [
    'secrets',
    'secret',
    '{ name: EVERY_TOKEN, value: t0ken-every, description: a token }',
    '/api/v1/secrets/EVERY_TOKEN',
  ],
  ['dependencies', undefined, '{ packageName: requests, version: "2.31.0" }', undefined],
  [
    'connectors',
    'connector',
    '{ namespace: every, name: api, baseUrl: "http://93.184.215.14/api", operations: [{ name: ping, method: GET, path: /ping }] }',
    '/api/v1/connectors/every/api',
  ],
  [
    'functions',
    'function',
    '{ namespace: every, name: echo, code: "def handler(input_data, context):\\n    return input_data\\n" }',
    '/api/v1/functions/every/echo',
  ],
  [
    'skills',
    'skill',
    '{ namespace: every, name: tone, description: how to write, content: "# Be brief" }',
    '/api/v1/skills/every/tone',
  ],
  [
    'components',
    'component',
    '{ namespace: every, name: card, sourceCode: "export default function C() { return null; }", enabledFunctions: [every/echo] }',
    '/api/v1/components/every/card',
  ],
  [
    'queries',
    'query',
    '{ namespace: every, name: one, connectionName: every-db, operation: read, sql: "SELECT 1" }',
    '/api/v1/queries/every/one',
  ],
  [
    'collections',
    'collection',
    '{ namespace: every, name: docs, maxFileSizeMb: 5, maxTotalSizeGb: 2, contentFilterFunction: every/echo }',
    '/api/v1/collections/every/docs',
  ],
  [
    'templates',
    'template',
    '{ namespace: every, name: mail, title: Hi, htmlContent: "<p>{{ x }}</p>" }',
    '/api/v1/templates/every/mail',
  ],
  [
    'stores',
    'store',
    '{ namespace: every, name: notes, defaultVisibility: shared }',
    '/api/v1/stores/every/notes',
  ],
  [
    'manifests',
    'manifest',
    '{ namespace: every, name: app, requiredResources: [{ type: agent, namespace: every, name: helper }], exposedNamespaces: { agents: [every] }, storeDependencies: [{ store: every/notes }] }',
    '/api/v1/manifests/every/app',
  ],
  [
    'agents',
    'agent',
    '{ namespace: every, name: helper, llmProviderName: every-llm, enabledFunctions: [every/echo], enabledSkills: [every/tone], enabledStores: [every/notes], enabledQueries: [every/one], enabledCollections: [every/docs], enabledComponents: [every/card] }',
    '/api/v1/agents/every/helper',
  ],
  ['webhooks', 'webhook', '{ path: every-hook, functionName: every/echo }', undefined],
  [
    'schedules',
    'schedule',
    '{ name: every-night, functionName: every/echo, cronExpression: "0 3 * * *" }',
    '/api/v1/schedules/every-night',
  ],
  [
    'databaseTriggers',
    'databaseTrigger',
    '{ name: every-trigger, connectionName: every-db, tableName: t, functionName: every/echo, pollColumn: id, isActive: false }',
    '/api/v1/database-triggers/every-trigger',
  ],
];

/** the document; `change` rewrites one section's item (`from` must occur in it) */
const document = (change?: { section: string; from: string; to: string }) =>
  [
    'apiVersion: sinas.co/v1',
    'kind: SinasConfig',
    'metadata: { name: every-section }',
    'spec:',
    ...SECTIONS.map(([section, , item]) => {
      if (change?.section !== section) return `  ${section}:\n    - ${item}`;
      expect(item).to.include(change.from);
      return `  ${section}:\n    - ${item.replace(change.from, change.to)}`;
    }),
  ].join('\n') + '\n';

const AGENT_TOOLS = 'enabledFunctions: [every/echo]';
const COMPONENT_TOOLS = 'sourceCode: "export default function C() { return null; }"';
/** every reference of §6.4, made dangling: [section, from, to, the path reported] */
const DANGLING: readonly (readonly [string, string, string, string])[] = [
  ['users', 'roles: [Every]', 'roles: [Nobody]', 'spec.users[0].roles[0]'],
  ['agents', 'llmProviderName: every-llm', 'llmProviderName: no-llm', 'spec.agents[0].llmProviderName'],
  ['agents', AGENT_TOOLS, 'enabledFunctions: [every/none]', 'spec.agents[0].enabledFunctions[0]'],
  ['agents', AGENT_TOOLS, `${AGENT_TOOLS}, enabledAgents: [every/nobody]`, 'spec.agents[0].enabledAgents[0]'],
  ['agents', 'enabledSkills: [every/tone]', 'enabledSkills: [every/none]', 'spec.agents[0].enabledSkills[0]'],
  [
    'agents',
    'enabledStores: [every/notes]',
    'enabledStores: [every/none]',
    'spec.agents[0].enabledStores[0]',
  ],
  [
    'agents',
    'enabledQueries: [every/one]',
    'enabledQueries: [every/none]',
    'spec.agents[0].enabledQueries[0]',
  ],
  [
    'agents',
    'enabledCollections: [every/docs]',
    'enabledCollections: [every/none]',
    'spec.agents[0].enabledCollections[0]',
  ],
  [
    'agents',
    'enabledComponents: [every/card]',
    'enabledComponents: [every/none]',
    'spec.agents[0].enabledComponents[0]',
  ],
  [
    'components',
    'enabledFunctions: [every/echo]',
    'enabledFunctions: [every/none]',
    'spec.components[0].enabledFunctions[0]',
  ],
  [
    'components',
    COMPONENT_TOOLS,
    `${COMPONENT_TOOLS}, enabledQueries: [every/none]`,
    'spec.components[0].enabledQueries[0]',
  ],
  [
    'components',
    COMPONENT_TOOLS,
    `${COMPONENT_TOOLS}, enabledAgents: [every/none]`,
    'spec.components[0].enabledAgents[0]',
  ],
  [
    'components',
    COMPONENT_TOOLS,
    `${COMPONENT_TOOLS}, enabledComponents: [every/none]`,
    'spec.components[0].enabledComponents[0]',
  ],
  ['queries', 'connectionName: every-db', 'connectionName: no-db', 'spec.queries[0].connectionName'],
  [
    'collections',
    'contentFilterFunction: every/echo',
    'contentFilterFunction: every/none',
    'spec.collections[0].contentFilterFunction',
  ],
  [
    'collections',
    'maxFileSizeMb: 5',
    'maxFileSizeMb: 5, postUploadFunction: every/none',
    'spec.collections[0].postUploadFunction',
  ],
  ['webhooks', 'functionName: every/echo', 'functionName: every/none', 'spec.webhooks[0].functionName'],
  ['schedules', 'functionName: every/echo', 'functionName: every/none', 'spec.schedules[0].functionName'],
  [
    'databaseTriggers',
    'connectionName: every-db',
    'connectionName: no-db',
    'spec.databaseTriggers[0].connectionName',
  ],
  [
    'databaseTriggers',
    'functionName: every/echo',
    'functionName: every/none',
    'spec.databaseTriggers[0].functionName',
  ],
  ['manifests', 'name: helper }', 'name: nobody }', 'spec.manifests[0].requiredResources[0]'],
  ['manifests', 'type: agent', 'type: planet', 'spec.manifests[0].requiredResources[0].type'],
];

describe('declarative config: every section of §6.3', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let store: EventStore;
  const apply = async (yaml: string) => {
    const res = await t.api('/api/v1/config/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });
    const text = await res.text();
    expect(res.status, text).to.equal(200);
    return JSON.parse(text) as {
      success: boolean;
      summary: Record<string, Record<string, number>>;
      changes: { action: string; resourceType: string; resourceName: string }[];
      warnings: string[];
    };
  };
  const exported = async (query = '') => {
    const res = await t.api(`/api/v1/config/export${query}`);
    expect(res.status).to.equal(200);
    return res.text();
  };

  before(async () => {
    t = await startTestPlatform();
    store = t.platform.services.eventStore;
  });
  after(async () => {
    await t?.stop();
  });

  for (const [section, from, to, path] of DANGLING)
    it(`a dangling reference at ${path} is reported there, and nothing is applied`, async () => {
      const before = await store.headPosition();
      const res = await t.api('/api/v1/config/apply', {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body: document({ section, from, to }),
      });
      const body = (await res.json()) as { errors: { field: string; message: string }[] };
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(body.errors.map((e) => e.field)).to.deep.equal([path]);
      expect(await store.headPosition()).to.equal(before);
    });

  it('applies one item of every section, each created in apply order', async () => {
    const r = await apply(document());
    expect(r.success).to.equal(true);
    const types = SECTIONS.flatMap(([, type]) => (type ? [type] : []));
    expect(r.summary.created).to.deep.equal(Object.fromEntries(types.map((x) => [x, 1])));
    expect(r.changes.map((c) => c.resourceType)).to.deep.equal(types);
    expect(JSON.stringify(r)).not.to.include(API_KEY).and.not.to.include(PASSWORD);
    expect(r.warnings.join('\n')).to.match(/spec\.dependencies\[0\]: 'requests' is not installed/);
    for (const [section, , , url] of SECTIONS) {
      if (!url) continue;
      const res = await t.api(url);
      expect(res.status, `${section}: ${url}`).to.equal(200);
    }
    const collection = await (await t.api('/api/v1/collections/every/docs')).json();
    expect(collection).to.include({ max_file_size_mb: 5, max_total_size_gb: 2 });
    expect(collection.content_filter_function).to.equal('every/echo');
    const manifest = await (await t.api('/api/v1/manifests/every/app')).json();
    expect(manifest.store_dependencies).to.deep.equal([{ store: 'every/notes' }]);
  });

  it('the same document again: every item unchanged, no event written', async () => {
    const before = await store.headPosition();
    const r = await apply(document());
    expect(r.summary.created).to.deep.equal({});
    expect(r.summary.updated).to.deep.equal({});
    expect(r.changes.filter((c) => c.action !== 'unchanged')).to.deep.equal([]);
    expect(await store.headPosition()).to.equal(before);
  });

  it('a changed connection password is an update of `password` only, never shown', async () => {
    const r = await apply(document().replace(PASSWORD, 'another-password-11'));
    const changed = r.changes.filter((c) => c.action !== 'unchanged');
    expect(changed).to.have.length(1);
    expect(changed[0]).to.deep.include({ action: 'update', resourceType: 'databaseConnection' });
    expect((changed[0] as { changes?: string[] }).changes).to.deep.equal(['password']);
    expect(JSON.stringify(r)).not.to.include('another-password-11');
    await apply(document()); // back to the table's password
  });

  it('exports every section but connections and dependencies, and the export applies back unchanged', async () => {
    const yaml = await exported();
    const spec = (parse(yaml) as { spec: Record<string, unknown[]> }).spec;
    const expected = SECTIONS.map(([s]) => s).filter(
      (s) => s !== 'databaseConnections' && s !== 'dependencies',
    );
    for (const s of expected) expect(spec[s]?.length, s).to.be.greaterThan(0);
    expect(spec).not.to.have.property('databaseConnections');
    expect(spec).not.to.have.property('dependencies');
    expect(yaml).not.to.include(API_KEY).and.not.to.include(PASSWORD);
    const before = await store.headPosition();
    const r = await apply(yaml);
    expect(r.changes.filter((c) => c.action !== 'unchanged')).to.deep.equal([]);
    expect(await store.headPosition()).to.equal(before);
  });

  it('include_secrets adds LLM provider API keys, and nothing else that is secret', async () => {
    const yaml = await exported('?include_secrets=true');
    const providers = (parse(yaml) as { spec: { llmProviders: { name: string; apiKey?: string }[] } }).spec
      .llmProviders;
    expect(providers.find((p) => p.name === 'every-llm')?.apiKey).to.equal(API_KEY);
    expect(yaml).not.to.include('t0ken-every').and.not.to.include(PASSWORD);
    const r = await apply(yaml);
    expect(r.changes.filter((c) => c.action !== 'unchanged')).to.deep.equal([]);
  });

  it('managed_only leaves out what was made or last changed outside config', async () => {
    const res = await t.api('/api/v1/skills', {
      method: 'POST',
      json: { namespace: 'every', name: 'by-hand', description: 'd', content: '# c' },
    });
    expect(res.status).to.equal(201);
    const all = (parse(await exported()) as { spec: { skills: { name: string }[] } }).spec.skills;
    const managed = (parse(await exported('?managed_only=true')) as { spec: { skills: { name: string }[] } })
      .spec.skills;
    expect(all.map((s) => s.name))
      .to.include('by-hand')
      .and.include('tone');
    expect(managed.map((s) => s.name)).to.deep.equal(['tone']);
  });
});
