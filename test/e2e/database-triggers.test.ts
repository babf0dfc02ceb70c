/**
 * Database triggers (reference §5.13) over HTTP on a real second database, polled by the platform's
 * own worker: the save's checks, batches of new rows handed to the function as the trigger's owner
 * in the reference's payload, rows sharing a poll value never split (nor skipped), and every error
 * (a bad column, an unreachable database, a failing function) shown on the trigger, then cleared.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { must, triggerRuns } from '../support/trigger-feed.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

const ECHO = `
def handler(input_data, context):
    return {"ids": [r["id"] for r in input_data["rows"]], "trigger": context["trigger_type"]}
`;
const FAIL_ON_3 = `
def handler(input_data, context):
    if any(r["id"] == 3 for r in input_data["rows"]):
        raise ValueError("row 3 is cursed")
    return {"n": input_data["count"]}
`;

describe('database triggers (reference §5.13)', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let db: UserDatabase;
  let data: pg.Pool;
  let connId = '';

  const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
    t.api(path, { method: 'POST', json, headers });
  const trigger = (name: string, fields: Record<string, unknown> = {}) =>
    post('/api/v1/database-triggers', {
      name,
      database_connection_id: connId,
      table_name: 'orders',
      function_namespace: 'cdc',
      function_name: 'echo',
      poll_column: 'id',
      poll_interval_seconds: 1,
      ...fields,
    });
  const status = async (name: string) => (await t.api(`/api/v1/database-triggers/${name}`)).json();
  const settledAt = (name: string, rows: number) =>
    until(
      `${name} to hand on ${rows} rows`,
      async () => {
        const s = await status(name);
        return s.rows === rows && s.pending_batch === null;
      },
      60_000,
    );
  // read once the executions read model has caught up with the runs the trigger's status counts
  const cdcRuns = async (triggerId: string) => (await triggerRuns(t, triggerId)).reverse();

  before(async () => {
    t = await startTestPlatform();
    db = await userDatabase();
    data = new pg.Pool({ connectionString: db.url, max: 2 });
    await data.query('CREATE TABLE orders (id serial PRIMARY KEY, note text NOT NULL)');
    await data.query('CREATE TABLE grouped (id serial PRIMARY KEY, grp int NOT NULL)');
    const conn = { name: 'shop', connection_type: 'postgresql', ...db.fields };
    connId = (await (await must(post('/api/v1/database-connections', conn), 201)).json()).id;
    await must(post('/api/v1/functions', { namespace: 'cdc', name: 'echo', code: ECHO }), 201);
    await must(post('/api/v1/functions', { namespace: 'cdc', name: 'fail3', code: FAIL_ON_3 }), 201);
  });
  after(async () => {
    await data?.end();
    await t?.stop();
    await db?.drop();
  });

  it('refuses what cannot work with a 400 naming the field, and non-administrators with a 403', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ database_connection_id: '00000000-0000-4000-8000-000000000000' }, 'database_connection_id'],
      [{ function_name: 'missing' }, 'function_name'],
      [{ poll_column: 'id; DROP TABLE orders' }, 'poll_column'],
      [{ operations: [] }, 'operations'],
      [{ operations: ['DELETE'] }, 'operations'],
      [{ batch_size: 0 }, 'batch_size'],
      [{ batch_size: 10_001 }, 'batch_size'],
      [{ poll_interval_seconds: 3601 }, 'poll_interval_seconds'],
    ];
    for (const [fields, field] of cases) {
      const r = await trigger('refused', fields);
      expect(r.status, JSON.stringify(fields)).to.equal(400);
      expect((await r.json()).field, JSON.stringify(fields)).to.match(new RegExp(`^${field}`));
    }
    expect((await t.api('/api/v1/database-triggers/refused')).status).to.equal(404);
    const user = { 'x-api-key': await userKey(t, 'cdc-user') };
    const body = { name: 'theirs', database_connection_id: connId, table_name: 'orders', poll_column: 'id' };
    const asUser = await post(
      '/api/v1/database-triggers',
      { ...body, function_namespace: 'cdc', function_name: 'echo' },
      user,
    );
    expect(asUser.status).to.equal(403);
    expect((await t.api('/api/v1/database-triggers', { headers: user })).status).to.equal(403);
  });

  it('hands each new row on once, in batches, as the owner, with the reference payload', async () => {
    await data.query("INSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 7) g");
    const made = await (await must(trigger('orders', { batch_size: 3 }), 201)).json();
    expect(made).to.include({ schema_name: 'public', is_active: true, last_poll_value: null });
    expect(made.operations).to.deep.equal(['INSERT', 'UPDATE']);
    await settledAt('orders', 7);
    await data.query("INSERT INTO orders (note) VALUES ('late1'), ('late2')");
    await settledAt('orders', 9);
    const s = await status('orders');
    expect(s).to.include({ last_poll_value: '9', batches: 4, error_message: null });
    const runs = await cdcRuns(made.id);
    console.log(`      trigger 'orders': ${s.batches} batches, ${s.rows} rows, ${runs.length} executions`);
    expect(runs.map((r) => r.status)).to.deep.equal(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(runs.map((r) => (r.output_data as { ids: number[] }).ids)).to.deep.equal([
      [1, 2, 3],
      [4, 5, 6],
      [7],
      [8, 9],
    ]);
    const input = runs[0]!.input_data as Record<string, unknown>;
    expect(input).to.include({ table: 'public.orders', operation: 'CHANGE', poll_column: 'id', count: 3 });
    expect(input.rows).to.deep.equal([
      { id: 1, note: 'n1' },
      { id: 2, note: 'n2' },
      { id: 3, note: 'n3' },
    ]);
    expect(input.timestamp).to.be.a('string');
    expect((runs[0]!.output_data as { trigger: string }).trigger).to.equal('CDC');
    await t.api('/api/v1/database-triggers/orders', { method: 'PATCH', json: { is_active: false } });
  });

  it('never splits rows that share a poll value across batches, so none is skipped', async () => {
    await data.query('INSERT INTO grouped (grp) VALUES (1), (1), (1), (2), (2), (3)');
    const made = await (
      await must(trigger('groups', { table_name: 'grouped', poll_column: 'grp', batch_size: 2 }), 201)
    ).json();
    await settledAt('groups', 6);
    const runs = await cdcRuns(made.id);
    expect(runs.map((r) => (r.output_data as { ids: number[] }).ids)).to.deep.equal([[1, 2, 3], [4, 5], [6]]);
    await t.api('/api/v1/database-triggers/groups', { method: 'PATCH', json: { is_active: false } });
  });

  it('shows a bad poll column as the error, and clears it once the column is fixed', async () => {
    await must(trigger('badcol', { poll_column: 'nope' }), 201);
    await until(
      'the bad column to show',
      async () => (await status('badcol')).error_message !== null,
      30_000,
    );
    const s = await status('badcol');
    expect(s.error_message).to.match(/nope/).and.to.match(/42703/);
    expect(s.last_error).to.include({ source: 'poll' });
    expect(s.batches).to.equal(0);
    const fixed = await t.api('/api/v1/database-triggers/badcol', {
      method: 'PATCH',
      json: { poll_column: 'id' },
    });
    expect(fixed.status).to.equal(200);
    await settledAt('badcol', 9);
    const after = await status('badcol');
    expect(after.error_message).to.equal(null);
    expect(after.last_error.message).to.match(/nope/);
    await t.api('/api/v1/database-triggers/badcol', { method: 'DELETE' });
  });

  it('shows an unreachable database as the error', async () => {
    const down = { name: 'down', connection_type: 'postgresql', ...db.fields, host: '127.0.0.1', port: 9 };
    const downId = (await (await must(post('/api/v1/database-connections', down), 201)).json()).id;
    await must(trigger('unreachable', { database_connection_id: downId }), 201);
    await until(
      'the outage to show',
      async () => (await status('unreachable')).error_message !== null,
      30_000,
    );
    expect((await status('unreachable')).error_message).to.match(/down|ECONNREFUSED|connect/i);
    await t.api('/api/v1/database-triggers/unreachable', { method: 'DELETE' });
  });

  it('records a failing function on the trigger and goes on with the next batches', async () => {
    const made = await (await must(trigger('cursed', { function_name: 'fail3', batch_size: 2 }), 201)).json();
    await settledAt('cursed', 9);
    const s = await status('cursed');
    expect(s.last_error.source).to.equal('function');
    expect(s.last_error.message)
      .to.match(/batch 2: FAILED/)
      .and.to.match(/cursed/);
    expect(s.error_message, 'a later batch ran fine').to.equal(null);
    const runs = await cdcRuns(made.id);
    expect(runs.map((r) => r.status)).to.deep.equal([
      'COMPLETED',
      'FAILED',
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
    await t.api('/api/v1/database-triggers/cursed', { method: 'DELETE' });
  });

  it('applies and exports a databaseTriggers config section, naming the connection and the function', async () => {
    const yaml = [
      'apiVersion: sinas.co/v1',
      'kind: SinasConfig',
      'metadata: { name: cdc }',
      'spec:',
      '  databaseTriggers:',
      '    - name: fromconfig',
      '      connectionName: shop',
      '      tableName: orders',
      '      functionName: cdc/echo',
      '      pollColumn: id',
      '      batchSize: 50',
      '      isActive: false',
      '    - name: nowhere',
      '      connectionName: missing',
      '      tableName: orders',
      '      functionName: cdc/none',
      '      pollColumn: id',
    ].join('\n');
    const invalid = await (await post('/api/v1/config/validate', { config: yaml })).json();
    expect(invalid.valid).to.equal(false);
    expect(invalid.errors.map((e: { path: string }) => e.path)).to.include.members([
      'spec.databaseTriggers[1].connectionName',
      'spec.databaseTriggers[1].functionName',
    ]);
    // a bare function name means default/: the same config on a second apply
    await must(post('/api/v1/functions', { name: 'cdc_default', code: ECHO }), 201);
    const bare = [
      '    - name: barefn',
      '      connectionName: shop',
      '      tableName: orders',
      '      functionName: cdc_default',
      '      pollColumn: id',
      '      isActive: false',
    ];
    const good = [...yaml.split('\n').slice(0, 12), ...bare].join('\n');
    const applied = await (await post('/api/v1/config/apply', { config: good })).json();
    expect(applied.success, JSON.stringify(applied)).to.equal(true);
    expect(await status('barefn')).to.include({
      function_namespace: 'default',
      function_name: 'cdc_default',
    });
    const made = await status('fromconfig');
    expect(made).to.include({
      database_connection_id: connId,
      table_name: 'orders',
      function_namespace: 'cdc',
      function_name: 'echo',
      batch_size: 50,
      is_active: false,
    });
    const again = await (await post('/api/v1/config/apply', { config: good })).json();
    expect(again.summary.unchanged).to.deep.equal({ databaseTrigger: 2 });
    const exported = await (await t.api('/api/v1/config/export')).text();
    expect(exported).to.include('databaseTriggers:').and.to.include('functionName: cdc/echo');
    expect(exported).to.include('connectionName: shop');
    const back = await (await post('/api/v1/config/apply', { config: exported })).json();
    expect(back.success, JSON.stringify(back)).to.equal(true);
    const changed = back.changes.filter((c: { action: string }) => c.action !== 'unchanged');
    expect(changed, JSON.stringify(changed)).to.deep.equal([]);
  });
});
