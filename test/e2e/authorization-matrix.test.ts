/**
 * The authorisation matrix: every route the app registers, called as anonymous, as a guest (only
 * GuestUsers), as another ordinary user (Users), as the owner of the resource (Users) and as an
 * admin, with the outcome each must get. A route without an entry fails the suite, so it stays
 * complete. Each call gets its own target where the call would consume it (deletes, continues).
 * A route may have more entries, told apart by a note in parentheses (every path that runs a function).
 *
 * Two more columns follow from those five unless an entry says otherwise: the owner's API key
 * narrowed to `sinas.secrets.read:own` (`narrow`: what anonymous gets on a public route, else
 * refused) and the key of a user deactivated since (`deactivated`: always what anonymous gets).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { DEFAULT_ROLES } from '../../src/commands/identity/permissions.js';
import { keyFieldOf, namespaceName } from '../../src/commands/resource/resource-kind.js';
import { itemRoute as itemPathOf } from '../../src/http/resource-responses.js';
import type { KindRegistration } from '../../src/runtime/kind-registry.js';
import type { RouteSpec } from '../../src/http/routes.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { KINDS_AND_TEST_NOTE } from '../support/test-kind.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';
import { ADMIN_KEY, ensureUser, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';

type Who = 'anon' | 'guest' | 'other' | 'owner' | 'admin' | 'narrow' | 'deactivated';
const CALLERS: readonly Who[] = ['anon', 'guest', 'other', 'owner', 'admin', 'narrow', 'deactivated'];
/** the one permission the `narrow` column's key holds */
const NARROW_MAP = { 'sinas.secrets.read:own': true };
/** an exact status, 'ok' (any 2xx), or 'denied' (403 or 404: refused without revealing) */
type Outcome = number | 'ok' | 'denied';
type Expect = readonly [Outcome, Outcome, Outcome, Outcome, Outcome];

interface Call {
  readonly path: string;
  readonly body?: unknown;
  /** a text/event-stream response: only its status is read */
  readonly sse?: boolean;
}
interface Entry {
  /** the request, built for (and maybe with a fresh target made by the owner or admin for) each caller */
  readonly call: (who: Who) => Promise<Call> | Call;
  /** anonymous, guest, other, owner, admin */
  readonly expect: Expect;
  /** the owner's narrowed key; default: anonymous's outcome on a public route, else 'denied' */
  readonly narrow?: Outcome;
  /** a deactivated user's key; default: anonymous's outcome */
  readonly deactivated?: Outcome;
}

/** What `who` must get from `entry`: its own column, or the one derived for the two key columns. */
function outcomeOf(entry: Entry, who: Who, isPublic: boolean): Outcome {
  const anon = entry.expect[0];
  switch (who) {
    case 'narrow':
      return entry.narrow ?? (isPublic ? anon : 'denied');
    case 'deactivated':
      return entry.deactivated ?? anon;
    default:
      return entry.expect[CALLERS.indexOf(who)]!;
  }
}

const PUBLIC: Expect = ['ok', 'ok', 'ok', 'ok', 'ok'];
const SIGNED_IN: Expect = [401, 'ok', 'ok', 'ok', 'ok'];
const ADMIN: Expect = [401, 403, 403, 403, 'ok'];
/** Users may; guests have no permission */
const USERS: Expect = [401, 403, 'ok', 'ok', 'ok'];
/** the owner's item, own-scoped: others are refused, admins (`:all`) may */
const OWNER_OR_ADMIN: Expect = [401, 403, 403, 'ok', 'ok'];
/** the owner's chat: chats are private to their owner, administrators included */
const CHAT_OWNER: Expect = [401, 404, 404, 'ok', 404];
/** the owner's chat, read by its owner or by an auditor (administrators hold the audit permission) */
const CHAT_OWNER_OR_AUDITOR: Expect = [401, 404, 404, 'ok', 'ok'];

describe('authorisation matrix: every route × anonymous, guest, other user, owner, admin, narrowed key, deactivated user', function () {
  this.timeout(300_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  /** the model of the agents whose tool calls and hooks run the owner's function: scripted apart */
  let toolLlm: ScriptedLlm;
  const keys = {} as Record<Who, string | undefined>;
  let ownerId = '';
  let chatId = '';
  let turnId = '';
  /** the owner's message with an image part */
  let partMessageId = '';
  /** a database the queries' rows run on */
  let data: UserDatabase | undefined;
  /** what a kind's example needs that the server makes (a query's connection id), by kind path */
  const kitFixtures: Record<string, Record<string, unknown>> = {};

  const as = (who: Who): Record<string, string> => (keys[who] ? { 'x-api-key': keys[who]! } : {});
  const ownerApi = (path: string, json?: unknown, method = json === undefined ? 'GET' : 'POST') =>
    t.api(path, { method, headers: as('owner'), ...(json !== undefined ? { json } : {}) });
  /** the owner's what-if run of their chat, started once */
  let whatIfRunId: Promise<string> | undefined;
  const whatIfRun = () =>
    (whatIfRunId ??= must(ownerApi('/api/v1/agents/mx/owned/what-if', { chats: [chatId] }), 202).then(
      async (r) => (await r.json()).run_id as string,
    ));
  const adminApi = (path: string, json?: unknown, method = json === undefined ? 'GET' : 'POST') =>
    t.api(path, { method, ...(json !== undefined ? { json } : {}) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const must = async (r: Promise<Response> | Response, status: number): Promise<{ json(): Promise<any> }> => {
    const res = await r;
    if (res.status !== status) throw new Error(`setup: ${res.url} gave ${res.status}: ${await res.text()}`);
    return res;
  };
  const n = () => randomUUID().slice(0, 8);
  /** the render token of the administrator's compiled component mx/cmx (its proxy reaches mx/run, mx/fn, mx/box) */
  let renderToken = '';
  const compiledComponent = async (): Promise<string> => {
    const component = {
      namespace: 'mx',
      name: 'cmx',
      source_code: 'export default function C() { return null; }',
      enabled_queries: ['mx/run'],
      enabled_functions: ['mx/fn'],
      enabled_stores: [{ store: 'mx/box', access: 'readwrite' }],
    };
    await must(adminApi('/api/v1/components', component), 201);
    for (;;) {
      const c = await (await adminApi('/api/v1/components/mx/cmx')).json();
      if (c.compile_status === 'success') return c.render_token as string;
      if (c.compile_status === 'error') throw new Error(`setup: mx/cmx did not compile`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** a fresh share link of mx/cmx */
  const componentShare = async () =>
    (await (await must(adminApi('/api/v1/components/mx/cmx/shares', {}), 201)).json()).token as string;
  /** a fresh template of the owner's (Users may make their own templates) */
  const ownTemplate = async (): Promise<{ id: string; name: string }> =>
    (
      await must(
        ownerApi('/api/v1/templates', { namespace: 'mx', name: `t${n()}`, html_content: '<p>{{ x }}</p>' }),
        201,
      )
    ).json();

  before(async () => {
    llm = await startScriptedLlm();
    toolLlm = await startScriptedLlm();
    // seven callers try to log in as the owner: more than the default limit per email
    t = await startTestPlatform(
      { SINAS_LOGIN_RATE_PER_EMAIL: '50', SINAS_LOGIN_RATE_PER_IP: '50' },
      { kinds: KINDS_AND_TEST_NOTE },
    );
    keys.admin = ADMIN_KEY;
    keys.owner = await userKey(t, 'owner');
    keys.other = await userKey(t, 'other');
    keys.guest = await userKey(t, 'guest', []);
    ownerId = await ensureUser(t, 'owner@example.com');
    keys.narrow = (
      await (
        await must(ownerApi('/api/v1/api-keys', { name: 'narrow', permissions: NARROW_MAP }), 201)
      ).json()
    ).key;
    await must(ownerApi('/api/v1/collections', { namespace: 'mxf', name: 'open', is_public: true }), 201);
    await must(
      ownerApi('/files/mxf/open', { name: 's.txt', content_base64: 'aGk=', visibility: 'shared' }),
      201,
    );
    keys.deactivated = await userKey(t, 'gone');
    const goneId = await ensureUser(t, 'gone@example.com');
    await must(t.api('/auth/me', { headers: as('deactivated') }), 200); // it worked until now
    await must(adminApi(`/api/v1/users/${goneId}`, { active: false }, 'PATCH'), 200);
    await must(
      adminApi('/api/v1/llm-providers', {
        name: 'mxprov',
        api_endpoint: llm.url,
        default_model: 'm',
        is_default: true,
      }),
      201,
    );
    await must(ownerApi('/api/v1/agents', { namespace: 'mx', name: 'owned' }), 201);
    // a schedule's target: an agent only has to exist (reference §5.11), whoever schedules it
    kitFixtures.schedules = {
      schedule_type: 'agent',
      target_namespace: 'mx',
      target_name: 'owned',
      content: 'hi',
    };
    await must(
      ownerApi('/api/v1/functions', {
        namespace: 'mx',
        name: 'fn',
        code: ASK,
        input_schema: { type: 'object' },
      }),
      201,
    );
    chatId = (await (await must(ownerApi('/agents/mx/owned/chats', {}), 200)).json()).id;
    await must(ownerApi(`/chats/${chatId}/messages`, { content: 'hello' }), 200);
    const image = { type: 'image', image: 'data:image/png;base64,iVBORw0KGgo=' };
    await must(ownerApi(`/chats/${chatId}/messages`, { content: [image] }), 200);
    const chat = await (await ownerApi(`/chats/${chatId}`)).json();
    turnId = chat.turns[0].turn_id;
    partMessageId = chat.messages.find((m: { content: string }) => m.content.includes('content_url')).id;
    await must(
      ownerApi('/api/v1/secrets', { name: 'MX_SECRET', value: 'mx-secret-value', visibility: 'private' }),
      201,
    );
    await must(
      adminApi('/api/v1/functions', { namespace: 'mx', name: 'pooled', code: ECHO, shared_pool: true }),
      201,
    );
    await must(ownerApi('/api/v1/functions', { namespace: 'mx', name: 'echo', code: ECHO }), 201);
    const hook = { function_namespace: 'mx', function_name: 'echo' };
    await must(ownerApi('/api/v1/webhooks', { path: 'mx/signed', ...hook }), 201);
    await must(
      ownerApi('/api/v1/webhooks', { path: 'mx/open', ...hook, http_method: 'GET', requires_auth: false }),
      201,
    );
    const tools = await (
      await must(adminApi('/api/v1/llm-providers', { name: 'mxtools', api_endpoint: toolLlm.url }), 201)
    ).json();
    const runs = { llm_provider_id: tools.id, model: 'm' };
    await must(
      ownerApi('/api/v1/agents', {
        namespace: 'mx',
        name: 'tooled',
        enabled_functions: ['mx/echo'],
        ...runs,
      }),
      201,
    );
    const hooks = { on_user_message: [{ function: 'mx/echo' }] };
    await must(ownerApi('/api/v1/agents', { namespace: 'mx', name: 'hooked', hooks, ...runs }), 201);
    data = await userDatabase();
    const connection = { name: 'mxdata', connection_type: 'postgresql', ...data.fields };
    const conn = await (await must(adminApi('/api/v1/database-connections', connection), 201)).json();
    kitFixtures.queries = { database_connection_id: conn.id };
    kitFixtures['database-triggers'] = { database_connection_id: conn.id };
    const query = { namespace: 'mx', name: 'run', operation: 'read', sql: 'SELECT 1 AS one' };
    await must(adminApi('/api/v1/queries', { ...query, ...kitFixtures.queries }), 201);
    const template = { namespace: 'mx', name: 'tpl', html_content: '<p>{{ x }}</p>' };
    await must(adminApi('/api/v1/templates', template), 201);
    await must(adminApi('/api/v1/stores', { namespace: 'mx', name: 'box' }), 201);
    renderToken = await compiledComponent();
    await must(ownerApi('/stores/mx/box/states', { key: 'owned', value: 1 }), 200);
  });
  after(async () => {
    await data?.drop();
    await t?.stop();
    await llm?.stop();
    await toolLlm?.stop();
  });

  const MX_CONFIG =
    'apiVersion: sinas.co/v1\nkind: SinasConfig\nmetadata: { name: mx }\nspec:\n  roles: [{ name: MxRole }]\n';
  /** a package with one skill; installed by the admin where a call needs one */
  const mxPackage = (name: string) =>
    `apiVersion: sinas.co/v1\nkind: SinasPackage\npackage: { name: ${name} }\nspec:\n  skills: [{ namespace: ${name}, name: s, description: d, content: c }]\n`;
  const installedPackage = async () => {
    const name = `mxpkg${n()}`;
    await must(adminApi('/api/v1/packages/install', { source: mxPackage(name) }), 200);
    return name;
  };
  const ASK = 'def handler(input_data, context):\n    return {"answer": input("question?")}\n';
  const ECHO = 'def handler(input_data, context):\n    return None\n';
  /**
   * The caller chats with the owner's agent `mx/<agent>` (whose tool or hook is the owner's function):
   * the id of the caller's run of it, or a fresh id when none ran.
   */
  const runThrough = async (who: Who, agent: 'tooled' | 'hooked') => {
    const none = randomUUID();
    if (!keys[who]) return none;
    const chat = await t.api(`/agents/mx/${agent}/chats`, { method: 'POST', headers: as(who), json: {} });
    if (chat.status !== 200) return none;
    const id = (await chat.json()).id as string;
    if (agent === 'tooled') toolLlm.script([{ toolCalls: [{ name: 'mx__echo', arguments: {} }] }]);
    await must(
      t.api(`/chats/${id}/messages`, { method: 'POST', headers: as(who), json: { content: 'go' } }),
      200,
    );
    // the run ended before the reply; its row is read once the executions read model has caught up
    // with the last execution event (not the head: it never reaches events it does not project)
    await executionsCaughtUp(t);
    const runs = await (await t.api(`/executions?chat_id=${id}`, { headers: as(who) })).json();
    return (runs[0]?.id as string | undefined) ?? none;
  };
  /** a paused execution of the owner's function */
  const pausedExecution = async () =>
    (await (await must(ownerApi('/functions/mx/fn/execute', { input: {} }), 200)).json())
      .execution_id as string;
  const ownerKey = async () =>
    (await (await must(ownerApi('/api/v1/api-keys', { name: `k${n()}` }), 201)).json()).id as string;
  const freshUser = async () => ensureUser(t, `u${n()}@example.com`);
  const freshRole = async () => {
    const name = `R${n()}`;
    await must(adminApi('/api/v1/roles', { name }), 201);
    return name;
  };
  /** an inactive subscription of the owner's (a public literal address: no DNS, never called) */
  const ownerSubscription = async () =>
    `/api/v1/event-subscriptions/${
      (
        await (
          await must(
            ownerApi('/api/v1/event-subscriptions', { url: 'http://93.184.215.14/hook', active: false }),
            201,
          )
        ).json()
      ).id
    }`;
  /** a connector of the owner's (its address is never called: the matrix tests an unknown operation) */
  const ownerConnector = async () => {
    const name = `k${n()}`;
    await must(
      ownerApi('/api/v1/connectors', { namespace: 'mx', name, base_url: 'http://93.184.215.14' }),
      201,
    );
    return `/api/v1/connectors/mx/${name}`;
  };
  /** a private file of the owner's in the owner's collection mxf/c (made on first upload); its path */
  const ownerFile = async () => {
    const name = `f${n()}.txt`;
    await must(ownerApi('/files/mxf/c', { name, content_base64: 'aGk=', content_type: 'text/plain' }), 201);
    return `/files/mxf/c/${name}`;
  };
  /** a signed link to a fresh file of the owner's */
  const signedLink = async () => {
    const made = await (await must(ownerApi(`${await ownerFile()}/url`, {}), 200)).json();
    return new URL(made.url as string).pathname;
  };
  const MINIMAL_OPENAPI = JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'mx', version: '1' },
    paths: { '/x': { get: { operationId: 'getX', responses: { '200': { description: 'ok' } } } } },
  });

  /**
   * A registered kind's rows, derived from its registration: its routes (item path, update methods,
   * versions) and, from its ownership model, who gets what. Each item route gets a fresh item made
   * from the kind's example (the owner's, or the admin's for administrator-only kinds).
   */
  const kitRows = ({ kind, example }: KindRegistration): Record<string, Entry> => {
    const base = `/api/v1/${kind.path}`;
    const ownership = kind.ownership ?? 'grants';
    // the default roles let Users create their own items of most kinds (not queries: administrators make them)
    const users = DEFAULT_ROLES.Users;
    const usersCreate =
      users[`sinas.${kind.resource}/*/*.create:own`] === true ||
      users[`sinas.${kind.resource}.create:own`] === true;
    const admin = ownership === 'grants' && (kind.adminOnly === true || !usersCreate);
    const nsName = namespaceName(kind);
    const item = itemPathOf(kind);
    const body = (name: string) => ({
      ...(nsName === 'namespace' ? { namespace: 'mx' } : {}),
      ...(kind.addressing === 'id' ? {} : { [keyFieldOf(kind)]: name }),
      ...example.create,
      ...kitFixtures[kind.path],
    });
    const fresh = async () => {
      const name = `x${n()}`;
      const made = await (await must((admin ? adminApi : ownerApi)(base, body(name)), 201)).json();
      return `${base}/${kind.addressing === 'id' ? made.id : nsName === 'namespace' ? `mx/${name}` : name}`;
    };
    // the default roles let Users read every item (agents)
    const readableByUsers =
      users[`sinas.${kind.resource}/*/*.read:all`] === true ||
      users[`sinas.${kind.resource}.read:all`] === true;
    // owner: others' items do not exist for them, `:all` holders (admins) may; visibility: a private
    // item is its owner's alone; grants: own-scoped permissions, admins hold `:all`
    const itemExpect: Expect = admin
      ? ADMIN
      : ownership === 'owner'
        ? [401, 403, 404, 'ok', 'ok']
        : ownership === 'visibility'
          ? [401, 403, 404, 'ok', 404]
          : OWNER_OR_ADMIN;
    const listExpect: Expect =
      ownership === 'grants' && kind.adminOnly === true ? ADMIN : ownership === 'grants' ? SIGNED_IN : USERS;
    /** a narrowed key holding exactly the route's permission passes it */
    const narrow = (action: string) =>
      ownership !== 'grants' && `sinas.${kind.resource}.${action}:own` in NARROW_MAP
        ? { narrow: 'ok' as const }
        : {};
    const itemRoute = (method: string, suffix: string, action: string, readable: boolean) => [
      `${method} ${item}${suffix}`,
      {
        call: async () => ({
          path: `${await fresh()}${suffix}`,
          ...(method === 'PUT' || method === 'PATCH' ? { body: example.update } : {}),
        }),
        expect: readable && readableByUsers ? USERS : itemExpect,
        ...narrow(action),
      },
    ];
    return {
      [`POST ${base}`]: {
        call: (who: Who) => ({ path: base, body: body(`c${who}${n()}`) }),
        expect: admin ? ADMIN : USERS,
      },
      [`GET ${base}`]: { call: () => ({ path: base }), expect: listExpect, ...narrow('read') },
      ...Object.fromEntries([
        itemRoute('GET', '', 'read', true),
        ...(kind.updateMethods ?? ['put', 'patch']).map((m) =>
          itemRoute(m.toUpperCase(), '', 'update', false),
        ),
        itemRoute('DELETE', '', 'delete', false),
        ...(kind.lifecycleApi !== false ? [itemRoute('GET', '/versions', 'read', true)] : []),
      ]),
    };
  };

  /**
   * The database connections' own routes (admins only). The connection points at a loopback port
   * nothing listens on, so an admin gets past the access check to the data source: 502 where a
   * route reaches the database, 2xx where it does not (tests, annotations).
   */
  const databaseBrowserRows = (): Record<string, Entry> => {
    const base = '/api/v1/database-connections';
    const conn = async () => {
      const name = `db${n()}`;
      await must(adminApi(base, { name, host: '127.0.0.1', port: 9, database: 'd', username: 'u' }), 201);
      return `${base}/${name}`;
    };
    const reaches: Expect = [401, 403, 403, 403, 502];
    const row = (
      method: string,
      suffix: string,
      body?: unknown,
      expect: Expect = reaches,
    ): [string, Entry] => [
      `${method} ${base}/:name${suffix.replace(/\/t\b/, '/:table')}`,
      {
        call: async () => ({ path: `${await conn()}${suffix}`, ...(body !== undefined ? { body } : {}) }),
        expect,
      },
    ];
    const column = { name: 'c', type: 'int' };
    return {
      [`POST ${base}/test`]: {
        call: () => ({
          path: `${base}/test`,
          body: { connection_type: 'postgresql', host: '127.0.0.1', port: 9, database: 'd', username: 'u' },
        }),
        expect: ADMIN,
      },
      ...Object.fromEntries([
        row('POST', '/test', undefined, ADMIN),
        row('GET', '/schemas'),
        row('GET', '/tables'),
        row('POST', '/tables', { table_name: 't', columns: [column] }),
        row('GET', '/tables/t'),
        row('PATCH', '/tables/t', { add_columns: [column] }),
        row('DELETE', '/tables/t'),
        row('GET', '/views'),
        row('POST', '/views', { name: 'v', sql: 'SELECT 1' }),
        row('DELETE', '/views/t'),
        row('GET', '/tables/t/rows'),
        row('POST', '/tables/t/rows', { rows: [{ c: 1 }] }),
        row('PATCH', '/tables/t/rows', { where: { c: 1 }, set_values: { c: 2 } }),
        row('DELETE', '/tables/t/rows', { where: { c: 1 } }),
        row('GET', '/annotations', undefined, ADMIN),
        row('PUT', '/annotations', { annotations: [{ schema_name: 'public', table_name: 't' }] }, ADMIN),
      ]),
    };
  };

  const matrix = (): Record<string, Entry> => ({
    'GET /health': { call: () => ({ path: '/health' }), expect: PUBLIC },
    'GET /api/openapi.json': { call: () => ({ path: '/api/openapi.json' }), expect: PUBLIC },
    'GET /openapi.json': { call: () => ({ path: '/openapi.json' }), expect: PUBLIC },
    'GET /docs': { call: () => ({ path: '/docs' }), expect: PUBLIC },
    'GET /docs/init.js': { call: () => ({ path: '/docs/init.js' }), expect: PUBLIC },
    'GET /docs/:asset': { call: () => ({ path: '/docs/swagger-ui.css' }), expect: PUBLIC },
    'GET /api/v1/openapi.json': { call: () => ({ path: '/api/v1/openapi.json' }), expect: PUBLIC },
    'GET /api/v1/docs': { call: () => ({ path: '/api/v1/docs' }), expect: PUBLIC },
    // a development platform serves its metrics to anyone who can reach it (no SINAS_METRICS_KEY)
    'GET /metrics': { call: () => ({ path: '/metrics' }), expect: PUBLIC },
    'GET /auth/me': { call: () => ({ path: '/auth/me' }), expect: SIGNED_IN },
    'POST /auth/check-permissions': {
      call: () => ({ path: '/auth/check-permissions', body: { permissions: ['sinas.users.read:own'] } }),
      expect: SIGNED_IN,
      narrow: 'ok', // it answers only about the credential itself
    },
    // the login routes are public: what decides is the body, whoever sends it
    'POST /auth/login': {
      call: () => ({ path: '/auth/login', body: { email: 'owner@example.com' } }),
      expect: PUBLIC,
    },
    'POST /auth/verify-otp': {
      call: () => ({ path: '/auth/verify-otp', body: { session_id: randomUUID(), otp_code: '123456' } }),
      expect: [400, 400, 400, 400, 400],
    },
    'POST /auth/refresh': {
      call: () => ({ path: '/auth/refresh', body: { refresh_token: 'unknown-token' } }),
      expect: [401, 401, 401, 401, 401],
    },
    'POST /auth/logout': {
      call: () => ({ path: '/auth/logout', body: { refresh_token: 'unknown-token' } }),
      expect: [404, 404, 404, 404, 404],
    },
    // every registered kind, the test-only one included
    ...Object.assign({}, ...t.platform.kinds.map(kitRows)),
    // an administrator's query: the Users role holds no `execute` on queries
    'POST /api/v1/queries/:namespace/:name/execute': {
      call: () => ({ path: '/api/v1/queries/mx/run/execute', body: { input: {} } }),
      expect: ADMIN,
    },
    'POST /queries/:namespace/:name/execute': {
      call: () => ({ path: '/queries/mx/run/execute', body: { input: {} } }),
      expect: ADMIN,
    },
    // an administrator's template: the Users role holds no template permission
    'POST /api/v1/templates/:namespace/:name/render': {
      call: () => ({ path: '/api/v1/templates/mx/tpl/render', body: { variables: { x: 1 } } }),
      expect: ADMIN,
    },
    'POST /templates/:namespace/:name/render': {
      call: () => ({ path: '/templates/mx/tpl/render', body: { variables: { x: 1 } } }),
      expect: ADMIN,
    },
    // templates by id: the owner's own template; one the caller may not read is a 404, never a 403
    ...Object.fromEntries(
      (
        [
          ['GET', ''],
          ['PATCH', ''],
          ['DELETE', ''],
          ['POST', '/render'],
        ] as const
      ).map(([method, suffix]) => [
        `${method} /api/v1/templates/:template_id${suffix}`,
        {
          call: async () => ({
            path: `/api/v1/templates/${(await ownTemplate()).id}${suffix}`,
            ...(method === 'PATCH' ? { body: { description: 'changed' } } : {}),
            ...(method === 'POST' ? { body: { variables: { x: 1 } } } : {}),
          }),
          expect: [401, 404, 404, 'ok', 'ok'] as Expect,
        },
      ]),
    ),
    'GET /api/v1/templates/by-name/:namespace/:name': {
      call: async () => ({ path: `/api/v1/templates/by-name/mx/${(await ownTemplate()).name}` }),
      expect: OWNER_OR_ADMIN,
    },
    // the matrix's platform has no SMTP: an administrator gets past the checks to the 503
    'POST /templates/:namespace/:name/email': {
      call: () => ({ path: '/templates/mx/tpl/email', body: { to: 'a@example.com', variables: { x: 1 } } }),
      expect: [401, 403, 403, 403, 503],
    },
    // runtime discovery: the skills the caller may read (none for a guest)
    'GET /skills': { call: () => ({ path: '/skills' }), expect: SIGNED_IN },
    // components: the administrator's mx/cmx (Users may only read their own components)
    'POST /api/v1/components/:namespace/:name/compile': {
      call: () => ({ path: '/api/v1/components/mx/cmx/compile', body: {} }),
      expect: ADMIN,
    },
    'POST /api/v1/components/:namespace/:name/shares': {
      call: () => ({ path: '/api/v1/components/mx/cmx/shares', body: { max_views: 1 } }),
      expect: ADMIN,
    },
    'GET /api/v1/components/:namespace/:name/shares': {
      call: () => ({ path: '/api/v1/components/mx/cmx/shares' }),
      expect: ADMIN,
    },
    'DELETE /api/v1/components/:namespace/:name/shares/:token': {
      call: async () => ({ path: `/api/v1/components/mx/cmx/shares/${await componentShare()}` }),
      expect: ADMIN,
    },
    // the pages are public: a render token or a share link is the credential
    'GET /components/assets/:file': { call: () => ({ path: '/components/assets/react.js' }), expect: PUBLIC },
    'GET /components/:namespace/:name/render': {
      call: () => ({ path: `/components/mx/cmx/render?token=${renderToken}` }),
      expect: PUBLIC,
    },
    'GET /components/shared/:token': {
      call: async () => ({ path: `/components/shared/${await componentShare()}` }),
      expect: PUBLIC,
    },
    // the proxy runs with the caller's own permissions: the admin's query, the owner's function
    'POST /components/:namespace/:name/proxy/queries/:target_namespace/:target_name/execute': {
      call: () => ({ path: '/components/mx/cmx/proxy/queries/mx/run/execute', body: { input: {} } }),
      expect: ADMIN,
    },
    // the administrator's store: Users list their own states in it
    'POST /components/:namespace/:name/proxy/states/:target_namespace/:target_name': {
      call: () => ({ path: '/components/mx/cmx/proxy/states/mx/box', body: { action: 'list' } }),
      expect: USERS,
    },
    'POST /components/:namespace/:name/proxy/functions/:target_namespace/:target_name/execute': {
      call: () => ({ path: '/components/mx/cmx/proxy/functions/mx/fn/execute', body: { input: {} } }),
      expect: OWNER_OR_ADMIN,
    },
    'GET /agents': { call: () => ({ path: '/agents' }), expect: SIGNED_IN },
    'GET /functions': { call: () => ({ path: '/functions' }), expect: SIGNED_IN },
    'GET /collections': { call: () => ({ path: '/collections' }), expect: SIGNED_IN },
    'GET /templates': { call: () => ({ path: '/templates' }), expect: SIGNED_IN },
    // an administrator's default agent: Users read every agent, a guest none
    'GET /agents/default': {
      call: async () => {
        const made = await adminApi('/api/v1/agents/mx/dflt');
        if (made.status === 404)
          await must(adminApi('/api/v1/agents', { namespace: 'mx', name: 'dflt', is_default: true }), 201);
        return { path: '/agents/default' };
      },
      expect: USERS,
    },
    // an administrator's manifest: whoever may read it learns its status for themselves
    'GET /manifests/:namespace/:name/status': {
      call: async () => {
        const made = await adminApi('/api/v1/manifests/mx/mstatus');
        if (made.status === 404)
          await must(adminApi('/api/v1/manifests', { namespace: 'mx', name: 'mstatus' }), 201);
        return { path: '/manifests/mx/mstatus/status' };
      },
      expect: USERS,
    },
    // an administrator's store: Users read and write their own states in it (read_state, write_state)
    'POST /stores/:namespace/:name/states': {
      call: () => ({ path: '/stores/mx/box/states', body: { key: `k${n()}`, value: 1 } }),
      expect: USERS,
    },
    'GET /stores/:namespace/:name/states': { call: () => ({ path: '/stores/mx/box/states' }), expect: USERS },
    // the owner's private state: anyone else's own key space has no such key
    'GET /stores/:namespace/:name/states/:key': {
      call: () => ({ path: '/stores/mx/box/states/owned' }),
      expect: [401, 403, 404, 'ok', 404],
    },
    'PUT /stores/:namespace/:name/states/:key': {
      call: () => ({ path: '/stores/mx/box/states/owned', body: { value: 2 } }),
      expect: [401, 403, 404, 'ok', 404],
    },
    'DELETE /stores/:namespace/:name/states/:key': {
      call: async () => {
        const key = `d${n()}`;
        await must(ownerApi('/stores/mx/box/states', { key, value: 1 }), 200);
        return { path: `/stores/mx/box/states/${key}` };
      },
      expect: [401, 403, 404, 'ok', 404],
    },
    // files (reference §5.8): Users hold upload, download, list and delete_files `:own` on every
    // collection; another user's private file does not exist for them (404), an admin sees it
    'POST /files/:namespace/:collection': {
      call: () => ({ path: '/files/mxf/c', body: { name: `u${n()}.txt`, content_base64: 'aGk=' } }),
      expect: USERS,
    },
    // a JSON body to the multipart route: past the authorisation, a 415
    'POST /files/:namespace/:collection/upload': {
      call: () => ({ path: '/files/mxf/c/upload', body: {} }),
      expect: [401, 403, 415, 415, 415],
    },
    'GET /files/:namespace/:collection': { call: () => ({ path: '/files/mxf/c' }), expect: USERS },
    'POST /files/:namespace/:collection/search': {
      call: () => ({ path: '/files/mxf/c/search', body: { query: 'h' } }),
      expect: USERS,
    },
    'GET /files/:namespace/:collection/:filename': {
      call: async () => ({ path: await ownerFile() }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'GET /files/:namespace/:collection/:filename/content': {
      call: async () => ({ path: `${await ownerFile()}/content` }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'POST /files/:namespace/:collection/:filename/url': {
      call: async () => ({ path: `${await ownerFile()}/url`, body: {} }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'PATCH /files/:namespace/:collection/:filename': {
      call: async () => ({ path: await ownerFile(), body: { file_metadata: { k: 'v' } } }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'DELETE /files/:namespace/:collection/:filename': {
      call: async () => ({ path: await ownerFile() }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    // a signed link and a public collection's shared file: no authentication needed
    'GET /files/serve/:token': { call: async () => ({ path: await signedLink() }), expect: PUBLIC },
    'GET /files/public/:namespace/:collection/:filename': {
      call: () => ({ path: '/files/public/mxf/open/s.txt' }),
      expect: PUBLIC,
    },
    'POST /agents/:namespace/:name/chats': {
      call: () => ({ path: '/agents/mx/owned/chats', body: {} }),
      expect: USERS,
    },
    'POST /agents/:namespace/:name/invoke': {
      call: () => ({ path: '/agents/mx/owned/invoke', body: { message: 'hi' } }),
      expect: USERS,
    },
    'POST /api/v1/agents/:namespace/:name/what-if': {
      call: () => ({ path: '/api/v1/agents/mx/owned/what-if', body: { chats: [chatId] } }),
      expect: OWNER_OR_ADMIN,
    },
    'GET /api/v1/agents/:namespace/:name/what-if/:run_id': {
      call: async () => ({ path: `/api/v1/agents/mx/owned/what-if/${await whatIfRun()}` }),
      expect: OWNER_OR_ADMIN,
    },
    'GET /api/v1/agents/:namespace/:name/what-if/:run_id/stream': {
      call: async () => ({ path: `/api/v1/agents/mx/owned/what-if/${await whatIfRun()}/stream`, sse: true }),
      expect: OWNER_OR_ADMIN,
    },
    'GET /api/v1/agents/:namespace/:name/what-if/:run_id/export': {
      call: async () => ({ path: `/api/v1/agents/mx/owned/what-if/${await whatIfRun()}/export` }),
      expect: OWNER_OR_ADMIN,
    },
    'GET /chats': { call: () => ({ path: '/chats' }), expect: SIGNED_IN },
    'GET /chats/:chat_id': { call: () => ({ path: `/chats/${chatId}` }), expect: CHAT_OWNER },
    'GET /chats/:chat_id/messages/:message_id/parts/:index': {
      call: () => ({ path: `/chats/${chatId}/messages/${partMessageId}/parts/0` }),
      expect: CHAT_OWNER,
    },
    'PUT /chats/:chat_id': {
      call: () => ({ path: `/chats/${chatId}`, body: { title: 'renamed' } }),
      expect: CHAT_OWNER,
    },
    'DELETE /chats/:chat_id': {
      call: async (who) => {
        if (who !== 'owner') return { path: `/chats/${chatId}` };
        const id = (await (await ownerApi('/agents/mx/owned/chats', {})).json()).id;
        return { path: `/chats/${id}` };
      },
      expect: CHAT_OWNER,
    },
    'POST /chats/:chat_id/messages': {
      call: () => ({ path: `/chats/${chatId}/messages`, body: { content: 'again' } }),
      expect: CHAT_OWNER,
    },
    'POST /chats/:chat_id/messages/stream': {
      call: () => ({ path: `/chats/${chatId}/messages/stream`, body: { content: 'streamed' }, sse: true }),
      expect: CHAT_OWNER,
    },
    'POST /chats/:chat_id/approve-tool/:tool_call_id': {
      call: () => ({ path: `/chats/${chatId}/approve-tool/call_none`, body: { approved: true } }),
      expect: [401, 404, 404, 409, 404], // the owner reaches the decision: nothing is pending
    },
    'GET /chats/:chat_id/stream/:channel_id': {
      call: () => ({ path: `/chats/${chatId}/stream/${turnId}`, sse: true }),
      expect: CHAT_OWNER,
    },
    'GET /chats/:chat_id/timeline': {
      call: () => ({ path: `/chats/${chatId}/timeline` }),
      expect: CHAT_OWNER_OR_AUDITOR,
    },
    'GET /executions/:execution_id/timeline': {
      call: async () => ({ path: `/executions/${await pausedExecution()}/timeline` }),
      expect: [401, 404, 404, 'ok', 'ok'],
    },
    // the page and its script are public and carry no data: the timeline they fetch is checked as above
    'GET /console/chats/:chat_id': { call: () => ({ path: `/console/chats/${chatId}` }), expect: PUBLIC },
    'GET /console/timeline.js': { call: () => ({ path: '/console/timeline.js' }), expect: PUBLIC },
    'GET /chats/:chat_id/events': {
      call: () => ({ path: `/chats/${chatId}/events`, sse: true }),
      expect: CHAT_OWNER,
    },
    'POST /chats/:chat_id/fork': {
      call: () => ({ path: `/chats/${chatId}/fork`, body: { at: 0 } }),
      expect: CHAT_OWNER,
    },
    'POST /chats/:chat_id/cancel': {
      call: () => ({ path: `/chats/${chatId}/cancel` }),
      expect: [401, 404, 404, 409, 404], // the owner reaches the decision: no turn runs
    },
    'POST /functions/:namespace/:name/execute': {
      call: () => ({ path: '/functions/mx/fn/execute', body: {} }),
      expect: OWNER_OR_ADMIN,
    },
    'POST /functions/:namespace/:name/execute/async': {
      call: () => ({ path: '/functions/mx/fn/execute/async', body: {} }),
      expect: OWNER_OR_ADMIN,
    },
    "POST /functions/:namespace/:name/execute (an administrator's shared_pool function)": {
      call: () => ({ path: '/functions/mx/pooled/execute', body: {} }),
      expect: ADMIN,
    },
    "GET /executions/:execution_id (the owner's function as a tool in the caller's chat)": {
      call: async (who) => ({ path: `/executions/${await runThrough(who, 'tooled')}` }),
      expect: [401, 404, 404, 'ok', 'ok'],
    },
    "GET /executions/:execution_id (the owner's function as a hook on the caller's message)": {
      call: async (who) => ({ path: `/executions/${await runThrough(who, 'hooked')}` }),
      expect: [401, 404, 404, 'ok', 'ok'],
    },
    'GET /executions': { call: () => ({ path: '/executions' }), expect: SIGNED_IN },
    'GET /executions/:execution_id': {
      call: async () => ({ path: `/executions/${await pausedExecution()}` }),
      expect: [401, 404, 404, 'ok', 'ok'],
    },
    'POST /executions/:execution_id/continue': {
      call: async () => ({ path: `/executions/${await pausedExecution()}/continue`, body: { input: 'x' } }),
      expect: [401, 403, 404, 'ok', 403], // only the user who started it
    },
    'POST /executions/:execution_id/cancel': {
      call: async () => ({ path: `/executions/${await pausedExecution()}/cancel` }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'GET /api/v1/users': { call: () => ({ path: '/api/v1/users' }), expect: ADMIN },
    'POST /api/v1/users': {
      call: () => ({ path: '/api/v1/users', body: { email: `new${n()}@example.com` } }),
      expect: ADMIN,
    },
    'GET /api/v1/users/:user_id': {
      call: () => ({ path: `/api/v1/users/${ownerId}` }),
      expect: OWNER_OR_ADMIN,
    },
    'PATCH /api/v1/users/:user_id': {
      call: async () => ({ path: `/api/v1/users/${await freshUser()}`, body: { active: true } }),
      expect: ADMIN,
    },
    'DELETE /api/v1/users/:user_id': {
      call: async () => ({ path: `/api/v1/users/${await freshUser()}` }),
      expect: ADMIN,
    },
    'GET /api/v1/roles': { call: () => ({ path: '/api/v1/roles' }), expect: SIGNED_IN }, // the caller's own roles
    'POST /api/v1/roles': {
      call: () => ({ path: '/api/v1/roles', body: { name: `N${n()}` } }),
      expect: ADMIN,
    },
    'GET /api/v1/roles/:name': { call: () => ({ path: '/api/v1/roles/Users' }), expect: USERS }, // members may read
    'PATCH /api/v1/roles/:name': {
      call: async () => ({ path: `/api/v1/roles/${await freshRole()}`, body: { description: 'd' } }),
      expect: ADMIN,
    },
    'DELETE /api/v1/roles/:name': {
      call: async () => ({ path: `/api/v1/roles/${await freshRole()}` }),
      expect: ADMIN,
    },
    'GET /api/v1/roles/:name/members': {
      call: () => ({ path: '/api/v1/roles/Users/members' }),
      expect: ADMIN,
    },
    'POST /api/v1/roles/:name/members': {
      call: async () => ({ path: `/api/v1/roles/${await freshRole()}/members`, body: { user_id: ownerId } }),
      expect: ADMIN,
    },
    'DELETE /api/v1/roles/:name/members/:user_id': {
      call: async () => {
        const role = await freshRole();
        await must(adminApi(`/api/v1/roles/${role}/members`, { user_id: ownerId }), 201);
        return { path: `/api/v1/roles/${role}/members/${ownerId}` };
      },
      expect: ADMIN,
    },
    'GET /api/v1/roles/:name/permissions': {
      call: () => ({ path: '/api/v1/roles/Users/permissions' }),
      expect: ADMIN,
    },
    'POST /api/v1/roles/:name/permissions': {
      call: async () => ({
        path: `/api/v1/roles/${await freshRole()}/permissions`,
        body: { permission_key: 'sinas.logs.read:own', permission_value: true },
      }),
      expect: ADMIN,
    },
    'DELETE /api/v1/roles/:name/permissions': {
      call: async () => ({
        path: `/api/v1/roles/${await freshRole()}/permissions?permission_key=sinas.logs.read:own`,
      }),
      expect: ADMIN,
    },
    'GET /api/v1/event-subscriptions/:id/deliveries': {
      call: async () => ({ path: `${await ownerSubscription()}/deliveries` }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'POST /api/v1/event-subscriptions/:id/replay': {
      call: async () => ({ path: `${await ownerSubscription()}/replay?from=0`, body: {} }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    // a webhook on the owner's function: the others may not run it, so they may not name it
    'POST /api/v1/webhooks': {
      call: (who: Who) => ({
        path: '/api/v1/webhooks',
        body: { path: `c${who}${n()}`, function_namespace: 'mx', function_name: 'echo' },
      }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    // requires_auth: the caller runs the owner's function, so the caller needs `execute` on it
    'POST /webhooks/*path': {
      call: () => ({ path: '/webhooks/mx/signed', body: {} }),
      expect: [401, 403, 403, 'ok', 'ok'],
      narrow: 'denied', // the key's map grants no execute
    },
    // no auth: it runs as the owner for anyone; a credential sent is still checked
    'GET /webhooks/*path': {
      call: () => ({ path: '/webhooks/mx/open?a=1' }),
      expect: PUBLIC,
      deactivated: 401,
    },
    ...Object.fromEntries(
      ['PUT', 'PATCH', 'DELETE'].map((m) => [
        `${m} /webhooks/*path`,
        { call: () => ({ path: '/webhooks/mx/open' }), expect: [405, 405, 405, 405, 405], deactivated: 401 },
      ]),
    ),
    'POST /api/v1/connectors/parse-openapi': {
      call: () => ({ path: '/api/v1/connectors/parse-openapi', body: { spec: MINIMAL_OPENAPI } }),
      expect: USERS,
    },
    'POST /api/v1/connectors/:namespace/:name/import-openapi': {
      call: async () => ({
        path: `${await ownerConnector()}/import-openapi`,
        body: { spec: MINIMAL_OPENAPI, apply: true },
      }),
      expect: OWNER_OR_ADMIN,
    },
    // an operation the connector does not have: past the authorisation, a 400, and nothing is called
    'POST /api/v1/connectors/:namespace/:name/test/:operation': {
      call: async () => ({ path: `${await ownerConnector()}/test/missing`, body: {} }),
      expect: [401, 403, 403, 400, 400],
    },
    ...databaseBrowserRows(),
    'POST /api/v1/api-keys': {
      call: () => ({ path: '/api/v1/api-keys', body: { name: 'k' } }),
      expect: USERS,
    },
    'GET /api/v1/api-keys': { call: () => ({ path: '/api/v1/api-keys' }), expect: USERS },
    'GET /api/v1/api-keys/:key_id': {
      call: async () => ({ path: `/api/v1/api-keys/${await ownerKey()}` }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'DELETE /api/v1/api-keys/:key_id': {
      call: async () => ({ path: `/api/v1/api-keys/${await ownerKey()}` }),
      expect: [401, 403, 404, 'ok', 'ok'],
    },
    'GET /api/v1/audit/events': { call: () => ({ path: '/api/v1/audit/events?limit=5' }), expect: ADMIN },
    'GET /api/v1/audit/export': {
      call: () => ({ path: `/api/v1/audit/export?stream=chat-${chatId}` }),
      expect: ADMIN,
    },
    'GET /api/v1/audit/public-key': {
      call: () => ({ path: '/api/v1/audit/public-key' }),
      expect: SIGNED_IN,
      narrow: 'ok', // the public half of a signing key: no one's data
    },
    'POST /api/v1/config/validate': {
      call: () => ({ path: '/api/v1/config/validate', body: { config: MX_CONFIG } }),
      expect: ADMIN,
    },
    'POST /api/v1/config/apply': {
      call: () => ({ path: '/api/v1/config/apply', body: { config: MX_CONFIG, dryRun: true } }),
      expect: ADMIN,
    },
    'GET /api/v1/config/export': { call: () => ({ path: '/api/v1/config/export' }), expect: ADMIN },
    // packages: administrators only (install:all, create:all, read:all, delete:all)
    'POST /api/v1/packages/install': {
      call: () => ({ path: '/api/v1/packages/install', body: { source: mxPackage('mxpkg') } }),
      expect: ADMIN,
    },
    'POST /api/v1/packages/preview': {
      call: () => ({ path: '/api/v1/packages/preview', body: { source: mxPackage('mxpkg') } }),
      expect: ADMIN,
    },
    'POST /api/v1/packages/create': {
      call: () => ({ path: '/api/v1/packages/create', body: { name: 'mxmade', resources: [] } }),
      expect: ADMIN,
    },
    'GET /api/v1/packages': { call: () => ({ path: '/api/v1/packages' }), expect: ADMIN },
    'GET /api/v1/packages/:name': {
      call: async () => ({ path: `/api/v1/packages/${await installedPackage()}` }),
      expect: ADMIN,
    },
    'GET /api/v1/packages/:name/export': {
      call: async () => ({ path: `/api/v1/packages/${await installedPackage()}/export` }),
      expect: ADMIN,
    },
    'DELETE /api/v1/packages/:name': {
      call: async () => ({ path: `/api/v1/packages/${await installedPackage()}` }),
      expect: ADMIN,
    },
    'GET /api/v1/messages': { call: () => ({ path: '/api/v1/messages' }), expect: USERS },
    'GET /api/v1/messages/stats': { call: () => ({ path: '/api/v1/messages/stats' }), expect: USERS },
    'GET /api/v1/roles/permissions/reference': {
      call: () => ({ path: '/api/v1/roles/permissions/reference' }),
      expect: SIGNED_IN,
      narrow: 'ok', // which permissions exist: no one's data
    },
    'GET /api/v1/system/health': { call: () => ({ path: '/api/v1/system/health' }), expect: ADMIN },
    // the default cut-off (two hours): nothing the other rows run is old enough to be cancelled
    'POST /api/v1/system/flush-stuck-jobs': {
      call: () => ({ path: '/api/v1/system/flush-stuck-jobs' }),
      expect: ADMIN,
    },
    // administrators reach the handler: no worker has a container of that name
    'POST /api/v1/system/containers/:container_name/restart': {
      call: () => ({ path: '/api/v1/system/containers/no-such-container/restart' }),
      expect: [401, 403, 403, 403, 404],
    },
    'GET /api/v1/dependencies': {
      call: () => ({ path: '/api/v1/dependencies' }),
      expect: SIGNED_IN,
      narrow: 'ok', // the approved packages: no one's data
    },
    // administrators reach the handler, which refuses: the runner image carries the packages
    'POST /api/v1/dependencies': {
      call: () => ({ path: '/api/v1/dependencies', body: { package_name: 'requests' } }),
      expect: [401, 403, 403, 403, 409],
    },
    'DELETE /api/v1/dependencies/:dependency_id': {
      call: () => ({ path: `/api/v1/dependencies/${randomUUID()}` }),
      expect: [401, 403, 403, 403, 404],
    },
    // the job queues: administrators only (a job names the function, agent and chat it serves)
    'GET /api/v1/queue/stats': { call: () => ({ path: '/api/v1/queue/stats' }), expect: ADMIN },
    'GET /api/v1/queue/jobs': { call: () => ({ path: '/api/v1/queue/jobs?limit=5' }), expect: ADMIN },
    'GET /api/v1/queue/dlq': { call: () => ({ path: '/api/v1/queue/dlq' }), expect: ADMIN },
    'GET /api/v1/queue/workers': { call: () => ({ path: '/api/v1/queue/workers' }), expect: ADMIN },
    // administrators reach the handler: no such job
    'POST /api/v1/queue/jobs/:job_id/cancel': {
      call: () => ({ path: '/api/v1/queue/jobs/no-such-job/cancel' }),
      expect: [401, 403, 403, 403, 404],
    },
    // administrators reach the handler: no such job
    'POST /api/v1/queue/dlq/:job_id/retry': {
      call: () => ({ path: '/api/v1/queue/dlq/no-such-job/retry' }),
      expect: [401, 403, 403, 403, 404],
    },
    'POST /api/v1/queue/dlq/flush': { call: () => ({ path: '/api/v1/queue/dlq/flush' }), expect: ADMIN },
    'GET /api/v1/workers': { call: () => ({ path: '/api/v1/workers' }), expect: ADMIN },
    'GET /api/v1/workers/count': { call: () => ({ path: '/api/v1/workers/count' }), expect: ADMIN },
    'GET /api/v1/containers/stats': { call: () => ({ path: '/api/v1/containers/stats' }), expect: ADMIN },
    // the worker processes' function pools, through the command every worker follows: the default sizes
    'POST /api/v1/containers/scale': {
      call: () => ({ path: '/api/v1/containers/scale', body: { target: 2 } }),
      expect: ADMIN,
    },
    'POST /api/v1/containers/reload': { call: () => ({ path: '/api/v1/containers/reload' }), expect: ADMIN },
    'POST /api/v1/workers/scale': {
      call: () => ({ path: '/api/v1/workers/scale', body: { target_count: 1 } }),
      expect: ADMIN,
    },
    'POST /api/v1/workers/reload': { call: () => ({ path: '/api/v1/workers/reload' }), expect: ADMIN },
    // everyone who may read logs sees their own requests (Users), an administrator everyone's
    'GET /api/v1/request-logs': { call: () => ({ path: '/api/v1/request-logs?limit=5' }), expect: USERS },
    'GET /api/v1/request-logs/stats': { call: () => ({ path: '/api/v1/request-logs/stats' }), expect: USERS },
    'GET /api/v1/roles/permissions/defaults': {
      call: () => ({ path: '/api/v1/roles/permissions/defaults' }),
      expect: ADMIN,
    },
    'POST /adapters/openai/v1/chat/completions': {
      call: () => ({
        path: '/adapters/openai/v1/chat/completions',
        body: { model: 'agent:mx/owned', messages: [{ role: 'user', content: 'hi' }] },
      }),
      expect: USERS,
    },
    'GET /adapters/openai/v1/models': {
      call: () => ({ path: '/adapters/openai/v1/models' }),
      expect: SIGNED_IN,
    },
    'GET /adapters/openai/v1/models/:model_id': {
      call: () => ({ path: '/adapters/openai/v1/models/agent%3Amx%2Fowned' }),
      expect: SIGNED_IN,
    },
    'GET /adapters/openai/v1/models/:owner/:model_id': {
      call: () => ({ path: '/adapters/openai/v1/models/agent:mx/owned' }),
      expect: SIGNED_IN,
    },
  });

  const key = (r: RouteSpec) => `${r.method.toUpperCase()} ${r.path}`;

  it('has an entry for every route the app registers, and no entry without a route', () => {
    const routes = t.platform.routes.map(key).sort();
    const entries = Object.keys(matrix())
      .map((e) => e.replace(/ \(.*\)$/, ''))
      .sort();
    expect(
      routes.filter((r) => !entries.includes(r)),
      'routes without an entry',
    ).to.deep.equal([]);
    expect(
      entries.filter((e) => !routes.includes(e)),
      'entries without a route',
    ).to.deep.equal([]);
  });

  it('gives every caller the outcome the matrix says', async () => {
    const failures: string[] = [];
    const publicRoutes = new Set(t.platform.routes.filter((r) => r.public).map(key));
    for (const [name, entry] of Object.entries(matrix())) {
      const method = name.split(' ')[0]!;
      for (const who of CALLERS) {
        const call = await entry.call(who);
        const abort = new AbortController();
        const res = await fetch(`${t.url}${call.path}`, {
          method,
          signal: abort.signal,
          headers: { ...as(who), ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        });
        if (call.sse) abort.abort();
        else await res.arrayBuffer();
        const want = outcomeOf(entry, who, publicRoutes.has(name));
        const ok =
          want === 'ok'
            ? res.status >= 200 && res.status < 300
            : want === 'denied'
              ? res.status === 403 || res.status === 404
              : res.status === want;
        if (!ok) failures.push(`${name} as ${who}: got ${res.status}, want ${want}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });
});
