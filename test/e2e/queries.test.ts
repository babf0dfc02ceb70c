/**
 * Saved queries over HTTP and as an agent's tools, on a real second database: the kind's save
 * checks, execute on both paths with the reference's answer, `:user_id` isolation between two
 * users, who may execute, a 502 when the database is down, the record of each run, and the query
 * tool family's offer and run (parameters locked and overridable, permission at each call).
 */
import { expect } from 'chai';
import pg from 'pg';
import { pino } from 'pino';
import { asChatId } from '../../src/commands/ids.js';
import { queryAuditStream } from '../../src/runtime/queries/query-runs.js';
import { queryFamilyOn } from '../../src/runtime/queries/query-wiring.js';
import type { ToolTarget } from '../../src/events/chat-events.js';
import type { ToolChat } from '../../src/runtime/turns/tool-family.js';
import {
  ensureUser,
  startTestPlatform,
  userKey,
  type JsonResponse,
  type TestPlatform,
} from '../support/platform.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

describe('saved queries: execute endpoints and the query tool family (reference §5.4, §4.1, §4.3)', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let db: UserDatabase;
  let connId = '';
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let aliceId = '';
  let bobId = '';

  const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
    t.api(path, { method: 'POST', json, headers });
  const must = async (r: Promise<JsonResponse>, status: number) => {
    const res = await r;
    if (res.status !== status) throw new Error(`setup: ${res.url} gave ${res.status}: ${await res.text()}`);
    return res;
  };
  const saveQuery = (name: string, fields: Record<string, unknown>) =>
    post('/api/v1/queries', {
      namespace: 'q',
      name,
      database_connection_id: connId,
      operation: 'read',
      ...fields,
    });

  before(async () => {
    t = await startTestPlatform();
    db = await userDatabase();
    connId = (
      await (
        await must(
          post('/api/v1/database-connections', {
            name: 'notes',
            connection_type: 'postgresql',
            ...db.fields,
          }),
          201,
        )
      ).json()
    ).id;
    alice = { 'x-api-key': await userKey(t, 'q-alice') };
    bob = { 'x-api-key': await userKey(t, 'q-bob') };
    aliceId = await ensureUser(t, 'q-alice@example.com');
    bobId = await ensureUser(t, 'q-bob@example.com');
    const target = new pg.Client({ connectionString: db.url });
    await target.connect();
    await target.query(`CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL, body text NOT NULL);
      INSERT INTO notes (owner, body) VALUES ('${aliceId}', 'alice 1'), ('${aliceId}', 'alice 2'), ('${bobId}', 'bob 1')`);
    await target.end();
    // alice and bob may execute every query; no one else but the admin may
    await must(
      post('/api/v1/roles', { name: 'QueryRunners', permissions: { 'sinas.queries/*/*.execute:all': true } }),
      201,
    );
    for (const id of [aliceId, bobId])
      await must(post('/api/v1/roles/QueryRunners/members', { user_id: id }), 201);
    await must(saveQuery('mine', { sql: 'SELECT body FROM notes WHERE owner = :user_id ORDER BY id' }), 201);
  });
  after(async () => {
    await t?.stop();
    await db?.drop();
  });

  it('refuses a query naming no connection, or SQL that cannot bind, naming the field (400)', async () => {
    const missing = await post('/api/v1/queries', {
      namespace: 'q',
      name: 'bad',
      database_connection_id: '00000000-0000-4000-8000-000000000000',
      operation: 'read',
      sql: 'SELECT 1',
    });
    expect(missing.status).to.equal(400);
    expect((await missing.json()).field).to.equal('database_connection_id');
    const unbound = await saveQuery('bad2', { sql: "SELECT 'open" });
    expect(unbound.status).to.equal(400);
    expect((await unbound.json()).field).to.equal('sql');
    const body = await (await saveQuery('defaults', { sql: 'SELECT 1 AS one' })).json();
    expect(body).to.include({ timeout_ms: 5000, max_rows: 1000, operation: 'read', is_active: true });
  });

  it('shows each user only their own rows through :user_id, on both execute paths', async () => {
    for (const path of ['/api/v1/queries/q/mine/execute', '/queries/q/mine/execute']) {
      const a = await (await must(post(path, { input: { user_id: bobId } }, alice), 200)).json();
      expect(a).to.include({ success: true, operation: 'read', row_count: 2, affected_rows: null });
      expect(a.data).to.deep.equal([{ body: 'alice 1' }, { body: 'alice 2' }]);
      const b = await (await must(post(path, { input: {} }, bob), 200)).json();
      expect(b.data).to.deep.equal([{ body: 'bob 1' }]);
    }
  });

  it('refuses a user without execute (403); the Users role alone does not grant it', async () => {
    const carol = { 'x-api-key': await userKey(t, 'q-carol') };
    const r = await post('/queries/q/mine/execute', { input: {} }, carol);
    expect(r.status).to.equal(403);
    expect(r.headers.get('content-type')).to.match(/problem\+json/);
  });

  it('answers a bad input with a 400 naming the field', async () => {
    await must(
      saveQuery('typed', {
        sql: 'SELECT :n::int AS n',
        input_schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      }),
      201,
    );
    const r = await post('/queries/q/typed/execute', { input: { n: 'x' } });
    expect(r.status).to.equal(400);
    const p = await r.json();
    expect(p.field).to.equal('input.n');
    expect(p.detail).to.match(/^Input validation error: /);
  });

  it('answers a write with its affected rows, a timeout with a 504 and an SQL error with a 502', async () => {
    await must(
      saveQuery('add', {
        operation: 'write',
        sql: 'INSERT INTO notes (owner, body) VALUES (:user_id, :body)',
      }),
      201,
    );
    const w = await (await must(post('/queries/q/add/execute', { input: { body: 'x' } }, alice), 200)).json();
    expect(w).to.include({ operation: 'write', data: null, row_count: null, affected_rows: 1 });
    await must(saveQuery('slow', { sql: 'SELECT pg_sleep(30)', timeout_ms: 100 }), 201);
    const slow = await post('/queries/q/slow/execute', { input: {} });
    expect(slow.status).to.equal(504);
    expect((await slow.json()).detail).to.contain('timed out');
    await must(saveQuery('broken', { sql: 'SELECT * FROM nowhere' }), 201);
    const broken = await post('/queries/q/broken/execute', { input: {} });
    expect(broken.status).to.equal(502);
    expect((await broken.json()).detail).to.match(/^Query execution failed: .*nowhere/);
  });

  it('answers 502 naming the connection when its database is unreachable (never 500)', async () => {
    const down = await (
      await must(
        post('/api/v1/database-connections', {
          name: 'down',
          connection_type: 'postgresql',
          ...db.fields,
          host: '127.0.0.1',
          port: 9,
        }),
        201,
      )
    ).json();
    await must(saveQuery('down', { sql: 'SELECT 1', database_connection_id: down.id }), 201);
    const r = await post('/queries/q/down/execute', { input: {} });
    expect(r.status).to.equal(502);
    expect((await r.json()).detail).to.contain("'down'");
  });

  it('records each run in the caller’s audit stream with its outcome, never the rows; a write before it is answered', async () => {
    const store = t.platform.services.eventStore;
    const runs = async () =>
      (await store.readStream(queryAuditStream(bobId))).filter((e) => e.data.name === 'mine');
    const before = (await runs()).length;
    await must(post('/queries/q/mine/execute', { input: {} }, bob), 200);
    // a read is recorded right after its answer
    await until('the read’s record', async () => (await runs()).length > before);
    const last = (await runs()).at(-1)!;
    expect(last.type).to.equal('QueryExecuted');
    expect(last.data).to.include({ userId: bobId, namespace: 'q', name: 'mine', status: 'ok', rowCount: 1 });
    expect(JSON.stringify(last.data)).not.to.contain('bob 1');
    await must(post('/queries/q/add/execute', { input: { body: 'recorded' } }, bob), 200);
    const write = (await store.readStream(queryAuditStream(bobId))).at(-1)!;
    expect(write.data).to.include({ name: 'add', status: 'ok', operation: 'write', affectedRows: 1 });
    expect(write.data.input).to.deep.equal({ body: 'recorded' });
  });

  it('applies and exports queries in a config, naming the connection by name (connectionName)', async () => {
    const yaml = (connection: string) => `apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: queries }
spec:
  queries:
    - namespace: cfg
      name: count
      connectionName: ${connection}
      operation: read
      sql: SELECT count(*) AS n FROM notes
      maxRows: 5
`;
    const apply = (body: string) =>
      t.api('/api/v1/config/apply', {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body,
      });
    const missing = await apply(yaml('nowhere'));
    expect(missing.status).to.equal(400);
    expect((await missing.json()).errors.map((e: { field: string }) => e.field)).to.include(
      'spec.queries[0].connectionName',
    );
    await must(apply(yaml('notes')), 200);
    const q = await (await must(t.api('/api/v1/queries/cfg/count'), 200)).json();
    expect(q).to.include({ database_connection_id: connId, max_rows: 5, operation: 'read' });
    const exported = await (await must(t.api('/api/v1/config/export'), 200)).text();
    expect(exported).to.match(/connectionName: notes/);
  });

  describe('the query tool family', () => {
    const family = () => {
      const s = t.platform.services;
      const parts = { queries: s.kinds.queries!, dataSources: s.dataSources, store: s.eventStore };
      return queryFamilyOn({ ...parts, identity: s.queries.identity, log: pino({ level: 'silent' }) });
    };
    const chat = (userId: string, spec: Record<string, unknown>): ToolChat => ({
      chatId: asChatId('00000000-0000-4000-8000-000000000001'),
      userId,
      input: { who: 'alice 2' },
      agent: { namespace: 'a', name: 'b' },
      agentSpec: spec,
    });
    const callOf = (tool: { target: ToolTarget }, args: Record<string, unknown>) => ({
      toolCallId: 'c1',
      target: tool.target,
      arguments: args,
      signal: new AbortController().signal,
    });

    before(async () => {
      await must(
        saveQuery('find', {
          description: 'Find my notes by body',
          sql: 'SELECT body FROM notes WHERE owner = :user_id AND body = coalesce(:body::text, body) ORDER BY id LIMIT :limit',
          input_schema: {
            type: 'object',
            properties: { body: { type: 'string' }, limit: { type: 'integer' }, user_id: { type: 'string' } },
            required: ['body', 'limit'],
          },
        }),
        201,
      );
    });

    it('offers query_{ns}__{name} per enabled active query, with parameters locked and overridable', async () => {
      const spec = {
        enabled_queries: ['q/find', 'q/mine', 'q/gone'],
        query_parameters: { 'q/find': { limit: { value: 1, locked: true }, body: '{{ who }}' } },
      };
      const tools = await family().offer(chat(aliceId, spec));
      expect(tools.map((x) => x.tool.function.name)).to.deep.equal(['query_q__find', 'query_q__mine']);
      const find = tools[0]!;
      expect(find.tool.function.description).to.equal('Find my notes by body');
      expect(tools[1]!.tool.function.description).to.equal('Execute query q/mine');
      expect(find.tool.function.parameters).to.deep.equal({
        type: 'object',
        properties: { body: { type: 'string', default: 'alice 2' } },
        required: [],
      });
      expect(find.params).to.deep.equal({ locked: { limit: 1 }, overridable: { body: 'alice 2' } });
      expect(find.status).to.deep.equal({ key: 'query:q/find', fallback: 'Running query find' });
      expect(find.target).to.deep.equal({
        family: 'query',
        ref: { namespace: 'q', name: 'find', operation: 'read' },
      });
    });

    it('runs a call as the chat user, answering {rows, row_count} with detail; only reads re-run', async () => {
      const f = family();
      const spec = { enabled_queries: ['q/find', 'q/add'] };
      const [find, add] = await f.offer(chat(bobId, spec));
      const out = await f.run(callOf(find!, { body: 'bob 1', limit: 5 }), chat(bobId, spec));
      expect(out.status).to.equal('ok');
      expect(out.result).to.deep.equal({ rows: [{ body: 'bob 1' }], row_count: 1 });
      expect(out.detail).to.include({ row_count: 1, operation: 'read' });
      const written = await f.run(callOf(add!, { body: 'from a tool' }), chat(bobId, spec));
      expect(written.result).to.deep.equal({ affected_rows: 1 });
      expect(f.rerunnable(find!.target)).to.equal(true);
      expect(f.rerunnable(add!.target)).to.equal(false);
    });

    it('refuses a chat user without execute (forbidden) and answers a failing query with {error, message}', async () => {
      const f = family();
      const carolId = await ensureUser(t, 'q-carol@example.com');
      const spec = { enabled_queries: ['q/mine', 'q/broken'] };
      const [mine, broken] = await f.offer(chat(carolId, spec));
      let refused: unknown;
      await f.run(callOf(mine!, {}), chat(carolId, spec)).catch((e: unknown) => (refused = e));
      expect((refused as { code?: string })?.code).to.equal('forbidden');
      const out = await f.run(callOf(broken!, {}), chat(aliceId, spec));
      expect(out.status).to.equal('error');
      expect(out.result).to.have.property('error', 'Query execution failed');
      expect((out.result as { message: string }).message).to.contain('nowhere');
    });
  });
});
