/**
 * The integrations in one turn (issue 14, "done when"): the development model calls a connector
 * operation (bearer auth from a secret), a saved query and `databaseIntrospection` in parallel; each
 * call and its result shows in `GET /chats/{id}`, in the chat's timeline and in the audit export,
 * and the secret's value is in no stored byte, no response and no log line.
 */
import { expect } from 'chai';
import pg from 'pg';
import { testPool } from '../support/pg.js';
import { startHttpPeer, type HttpPeer } from '../support/http-peer.js';
import { startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';
import { capturedLog, containsAny, everyTableAsText } from '../support/secrets.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

const TOKEN = 'tok-integration-9f8e7d6c5b4a39281706';

/** The peer's API as it describes itself: one operation, `get_item` once converted (§5.2). */
const ITEMS_API = {
  openapi: '3.0.3',
  info: { title: 'Items', version: '1' },
  paths: {
    '/items/{id}': {
      get: {
        operationId: 'get-item',
        summary: 'One item by id',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the item' } },
      },
    },
  },
};

describe('integrations: a connector, a query and databaseIntrospection in one turn', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let db: UserDatabase;
  let peer: HttpPeer;
  const captured = capturedLog();
  const seen: string[] = [];

  const call = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const r: JsonResponse = await t.api(path, init);
    const text = await r.text();
    seen.push(text);
    return { status: r.status, text, json: () => JSON.parse(text) };
  };
  const must = async (path: string, json: unknown, status = 201) => {
    const r = await call(path, { method: 'POST', json });
    if (r.status !== status) throw new Error(`setup: ${path} gave ${r.status}: ${r.text}`);
    return r.json();
  };

  before(async () => {
    peer = await startHttpPeer({
      '/openapi.json': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ITEMS_API));
      },
      '/items/7': (req, res) => {
        const ok = req.headers.authorization === `Bearer ${TOKEN}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { id: 7, title: 'seven' } : { error: 'no token' }));
      },
    });
    t = await startTestPlatform({ SINAS_OUTBOUND_ALLOWLIST: '127.0.0.1' }, { log: captured.log });
    db = await userDatabase();
    const target = new pg.Client({ connectionString: db.url });
    await target.connect();
    await target.query(`CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);
      INSERT INTO orders VALUES (1, 9.5), (2, 20)`);
    await target.end();

    await must('/api/v1/secrets', { name: 'SHOP_TOKEN', value: TOKEN });
    await must('/api/v1/connectors', {
      namespace: 'demo',
      name: 'shop',
      base_url: peer.url,
      auth: { type: 'bearer', secret: 'SHOP_TOKEN' },
    });
    // the operation the model calls comes from the peer's own OpenAPI document
    const imported = await must(
      '/api/v1/connectors/demo/shop/import-openapi',
      { spec_url: `${peer.url}/openapi.json`, apply: true },
      200,
    );
    expect(imported.applied).to.equal(1);
    const conn = await must('/api/v1/database-connections', {
      name: 'shopdb',
      connection_type: 'postgresql',
      ...db.fields,
    });
    await must('/api/v1/queries', {
      namespace: 'demo',
      name: 'orders',
      database_connection_id: conn.id,
      operation: 'read',
      sql: 'SELECT id, total FROM orders ORDER BY id',
    });
    await must('/api/v1/agents', {
      namespace: 'demo',
      name: 'clerk',
      enabled_connectors: [{ connector: 'demo/shop' }],
      enabled_queries: ['demo/orders'],
      system_tools: [{ name: 'databaseIntrospection', connections: ['shopdb'] }],
    });
  });
  after(async () => {
    await t?.stop();
    await db?.drop();
    await peer?.stop();
  });

  it('runs the three calls in one round and shows each, with no secret anywhere', async () => {
    const chat = await must('/agents/demo/clerk/chats', {}, 200);
    const content =
      'call connector__demo__shop__get_item {"id": "7"} and call query_demo__orders ' +
      'and call sinas_db_list_tables {"connectionName": "shopdb"}';
    const reply = await must(`/chats/${chat.id}/messages`, { content }, 200);
    expect(reply.content).to.contain('Tool connector__demo__shop__get_item returned');
    expect(reply.content).to.contain('"title":"seven"');
    expect(reply.content).to.contain('Tool query_demo__orders returned');
    expect(reply.content).to.contain('Tool sinas_db_list_tables returned');
    expect(reply.content).to.contain('orders');

    // the three calls were asked for in one model reply, so they ran as one round
    let view: { tool_calls: Record<string, unknown>[] } = { tool_calls: [] };
    await until('the chat read model to show the three calls with their results', async () => {
      view = (await call(`/chats/${chat.id}`)).json();
      return view.tool_calls?.length === 3 && view.tool_calls.every((x) => x.detail);
    });
    const byName = Object.fromEntries(view.tool_calls.map((c) => [c.name as string, c]));
    const connector = byName['connector__demo__shop__get_item']!;
    expect(connector.target).to.deep.include({ family: 'connector' });
    expect(connector.detail).to.include({ method: 'GET', status: 200 });
    expect(String((connector.detail as { url: string }).url)).to.equal(`${peer.url}/items/7`);
    expect(byName['query_demo__orders']!.target).to.deep.include({ family: 'query' });
    expect(byName['query_demo__orders']!.detail).to.include({ row_count: 2 });
    expect(byName['sinas_db_list_tables']!.target).to.deep.include({ family: 'database' });
    expect(peer.to('/items/7')).to.have.length(1);

    const timeline = await call(`/chats/${chat.id}/timeline`);
    expect(timeline.status).to.equal(200);
    for (const name of Object.keys(byName)) expect(timeline.text).to.contain(name);
    expect(timeline.text).to.contain('"method":"GET"');
    const exported = await call(`/api/v1/audit/export?stream=chat-${chat.id}`);
    expect(exported.status).to.equal(200);
    expect(exported.text).to.contain('ToolCallCompleted');

    // the token went to the peer only: not into any event, read model, response or log line
    const pool = testPool(t.db.url, 2);
    try {
      expect(containsAny(await everyTableAsText(pool), [TOKEN])).to.deep.equal([]);
    } finally {
      await pool.end();
    }
    expect(containsAny(seen.join('\n'), [TOKEN])).to.deep.equal([]);
    expect(containsAny(captured.lines.join('\n'), [TOKEN])).to.deep.equal([]);
  });
});
