import { expect } from 'chai';
import { DatabaseAnnotations } from '../../src/commands/database-connection/annotations.js';
import type { ChatId } from '../../src/events/ids.js';
import { databaseIntrospectionFamily } from '../../src/runtime/data-sources/database-introspection.js';
import type { ToolChat, ToolFamily } from '../../src/runtime/turns/tool-family.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

describe('databaseIntrospection tool family', function () {
  let t: TestPlatform;
  let db: UserDatabase;
  let family: ToolFamily;
  before(async () => {
    t = await startTestPlatform();
    db = await userDatabase();
    for (const name of ['shop', 'hidden']) {
      const r = await t.api('/api/v1/database-connections', { method: 'POST', json: { name, ...db.fields } });
      expect(r.status).to.equal(201);
    }
    const shop = await t.platform.services.dataSources.byName('shop');
    await shop.run({}, (c) =>
      c.query('CREATE TABLE orders (id serial PRIMARY KEY, total numeric(10,2) NOT NULL, note text)'),
    );
    await t.api('/api/v1/database-connections/shop/annotations', {
      method: 'PUT',
      json: {
        annotations: [
          { schema_name: 'public', table_name: 'orders', description: 'one row per customer order' },
          { schema_name: 'public', table_name: 'orders', column_name: 'total', description: 'in euros' },
        ],
      },
    });
    family = databaseIntrospectionFamily(
      t.platform.services.dataSources,
      new DatabaseAnnotations(t.platform.services.eventStore),
    );
  });
  after(async () => {
    await t?.stop();
    await db?.drop();
  });

  const chat = (systemTools: unknown[]): ToolChat => ({
    chatId: 'c' as ChatId,
    userId: 'u',
    input: {},
    agent: { namespace: 'n', name: 'a' },
    agentSpec: { system_tools: systemTools },
  });
  const enabled = chat([{ name: 'databaseIntrospection', connections: ['shop'] }]);
  const call = (tool: string, args: Record<string, unknown>) => ({
    toolCallId: 'call_1',
    target: { family: 'database', ref: { tool } },
    arguments: args,
    signal: new AbortController().signal,
  });

  it('offers its two tools only to an agent that enables it, limited to its connections', async () => {
    expect(await family.offer(chat([]))).to.deep.equal([]);
    expect(await family.offer(chat(['configIntrospection']))).to.deep.equal([]);
    const tools = await family.offer(enabled);
    expect(tools.map((o) => o.tool.function.name)).to.deep.equal([
      'sinas_db_list_tables',
      'sinas_db_describe_table',
    ]);
    const params = tools[0]!.tool.function.parameters as {
      properties: { connectionName: { enum: string[] } };
    };
    expect(params.properties.connectionName.enum).to.deep.equal(['shop']);
    expect(tools.every((o) => o.target.family === 'database')).to.equal(true);
  });

  it('lists tables and describes one (primary-key flags, annotations); a missing table is an error result', async () => {
    const listed = await family.run(call('sinas_db_list_tables', { connectionName: 'shop' }), enabled);
    expect(listed.status).to.equal('ok');
    expect(
      (listed.result as { tables: { table_name: string }[] }).tables.map((x) => x.table_name),
    ).to.include('orders');
    const described = await family.run(
      call('sinas_db_describe_table', { connectionName: 'shop', table: 'orders' }),
      enabled,
    );
    expect(described.status).to.equal('ok');
    const cols = (described.result as { columns: { column_name: string; is_primary_key: boolean }[] })
      .columns;
    expect(cols.map((c) => [c.column_name, c.is_primary_key])).to.deep.equal([
      ['id', true],
      ['total', false],
      ['note', false],
    ]);
    expect((described.result as { description: string }).description).to.equal('one row per customer order');
    expect(cols.find((c) => c.column_name === 'total')).to.include({ description: 'in euros' });
    const orders = (listed.result as { tables: { table_name: string; description?: string }[] }).tables.find(
      (x) => x.table_name === 'orders',
    );
    expect(orders?.description).to.equal('one row per customer order');
    const missing = await family.run(
      call('sinas_db_describe_table', { connectionName: 'shop', table: 'nope' }),
      enabled,
    );
    expect(missing.status).to.equal('error');
  });

  it('refuses a connection the agent does not list, naming the ones it may use', async () => {
    for (const connectionName of ['hidden', 'nonexistent', undefined]) {
      const r = await family.run(call('sinas_db_list_tables', { connectionName }), enabled);
      expect(r.status).to.equal('error');
      expect((r.result as { error: string }).error).to.contain('may use: shop');
    }
    const none = await family.run(
      call('sinas_db_list_tables', { connectionName: 'shop' }),
      chat([{ name: 'databaseIntrospection' }]),
    );
    expect((none.result as { error: string }).error).to.contain('may use: none');
  });

  it('is safe to re-run after a crash', () => {
    expect(family.rerunnable({ family: 'database', ref: { tool: 'sinas_db_list_tables' } })).to.equal(true);
  });
});
