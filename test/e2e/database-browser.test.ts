import { expect } from 'chai';
import pg from 'pg';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

describe('Database browser over HTTP: schema, rows, annotations, read_only', function () {
  let t: TestPlatform;
  let db: UserDatabase;
  before(async () => {
    t = await startTestPlatform();
    db = await userDatabase();
    for (const [name, read_only] of [
      ['data', false],
      ['locked', true],
    ] as const) {
      const r = await t.api('/api/v1/database-connections', {
        method: 'POST',
        json: { name, read_only, ...db.fields },
      });
      expect(r.status).to.equal(201);
    }
  });
  after(async () => {
    await t?.stop();
    await db?.drop();
  });
  const api = (path: string, method = 'GET', json?: unknown) =>
    t.api(`/api/v1/database-connections/${path}`, { method, ...(json !== undefined ? { json } : {}) });

  it('creates a table, lists and describes it, alters it', async () => {
    const made = await api('data/tables', 'POST', {
      table_name: 'people',
      columns: [
        { name: 'id', type: 'integer', primary_key: true, nullable: false },
        { name: 'name', type: 'varchar(100)', nullable: false },
        { name: 'odd"col; DROP TABLE people;--', type: 'text' },
        { name: 'created', type: 'timestamp with time zone', default: 'now()' },
      ],
    });
    expect(made.status).to.equal(201);
    expect(
      (await (await api('data/schemas')).json()).map((s: { schema_name: string }) => s.schema_name),
    ).to.include('public');
    const tables = await (await api('data/tables?schema=public')).json();
    expect(tables.map((x: { table_name: string }) => x.table_name)).to.include('people');
    const people = tables.find((x: { table_name: string }) => x.table_name === 'people');
    expect(people).to.include.keys(
      'estimated_rows',
      'size_bytes',
      'table_type',
      'display_name',
      'description',
    );
    const detail = await (await api('data/tables/people')).json();
    expect(detail.columns.map((c: { column_name: string }) => c.column_name)).to.deep.equal([
      'id',
      'name',
      'odd"col; DROP TABLE people;--',
      'created',
    ]);
    expect(
      detail.columns.find((c: { column_name: string }) => c.column_name === 'id').is_primary_key,
    ).to.equal(true);
    expect(detail.constraints.map((c: { constraint_type: string }) => c.constraint_type)).to.include(
      'PRIMARY KEY',
    );
    expect(detail.indexes).to.have.length.greaterThan(0);
    const altered = await api('data/tables/people', 'PATCH', {
      add_columns: [{ name: 'age', type: 'int' }],
      drop_columns: ['created'],
      rename_columns: { name: 'full_name' },
    });
    expect(altered.status).to.equal(200);
    const after = await (await api('data/tables/people')).json();
    expect(after.columns.map((c: { column_name: string }) => c.column_name)).to.deep.equal([
      'id',
      'full_name',
      'odd"col; DROP TABLE people;--',
      'age',
    ]);
    const badType = await api('data/tables', 'POST', {
      table_name: 'x',
      columns: [{ name: 'a', type: 'int); DROP TABLE people; --' }],
    });
    expect(badType.status).to.equal(400);
    expect((await badType.json()).errors[0].field).to.equal('columns[0].type');
    expect((await api('data/tables/nope')).status).to.equal(404);
  });

  it('inserts, filters, sorts, pages, updates and deletes rows; hostile names and values stay data', async () => {
    const rows = [1, 2, 3, 4, 5].map((id) => ({ id, full_name: `p${id}`, age: id * 10 }));
    rows.push({ id: 6, full_name: "Robert'); DROP TABLE people;--", age: 60 });
    const ins = await api('data/tables/people/rows', 'POST', { rows });
    expect(ins.status).to.equal(201);
    expect((await ins.json()).count).to.equal(6);
    const q = (params: Record<string, string>) =>
      api(`data/tables/people/rows?${new URLSearchParams(params).toString()}`);
    const page = await (
      await q({
        sort_by: 'age',
        sort_order: 'desc',
        limit: '2',
        offset: '1',
        filters: JSON.stringify([{ column: 'age', operator: '>=', value: 20 }]),
      })
    ).json();
    expect(page.total_count).to.equal(5);
    expect(page.rows.map((r: { id: number }) => r.id)).to.deep.equal([5, 4]);
    const hostileValue = await (
      await q({
        filters: JSON.stringify([
          { column: 'full_name', operator: '=', value: "Robert'); DROP TABLE people;--" },
        ]),
      })
    ).json();
    expect(hostileValue.rows.map((r: { id: number }) => r.id)).to.deep.equal([6]);
    const like = await (
      await q({ filters: JSON.stringify([{ column: 'full_name', operator: 'ILIKE', value: 'P%' }]) })
    ).json();
    expect(like.total_count).to.equal(5);
    const nulls = await (
      await q({ filters: JSON.stringify([{ column: 'odd"col; DROP TABLE people;--', operator: 'IS NULL' }]) })
    ).json();
    expect(nulls.total_count).to.equal(6);
    for (const bad of [
      { sort_by: 'age; DROP TABLE people' },
      { sort_by: '"age"' },
      { filters: JSON.stringify([{ column: 'age" OR 1=1 --', operator: '=', value: 1 }]) },
      { filters: JSON.stringify([{ column: 'age', operator: '= 1 OR 1=1 --', value: 1 }]) },
      { filters: 'not json' },
      { sort_order: 'sideways' },
    ] as Record<string, string>[]) {
      const r = await q(bad);
      expect(r.status, JSON.stringify(bad)).to.equal(400);
    }
    const upd = await api('data/tables/people/rows', 'PATCH', { where: { id: 1 }, set_values: { age: 11 } });
    expect(await upd.json()).to.deep.equal({ affected_rows: 1 });
    const hostileSet = await api('data/tables/people/rows', 'PATCH', {
      where: { id: 2 },
      set_values: { 'age = 0, full_name': 'x' },
    });
    expect(hostileSet.status).to.equal(400);
    const del = await api('data/tables/people/rows', 'DELETE', { where: { id: 6 } });
    expect(await del.json()).to.deep.equal({ affected_rows: 1 });
    const left = await (await q({ sort_by: 'id' })).json();
    expect(left.rows.map((r: { id: number; age: number }) => [r.id, r.age])).to.deep.equal([
      [1, 11],
      [2, 20],
      [3, 30],
      [4, 40],
      [5, 50],
    ]);
    // the table was never dropped by anything above
    const direct = new pg.Client({ connectionString: db.url });
    await direct.connect();
    expect((await direct.query('SELECT count(*)::int AS n FROM people')).rows[0].n).to.equal(5);
    await direct.end();
  });

  it('creates and drops views', async () => {
    const v = await api('data/views', 'POST', {
      name: 'adults',
      sql: 'SELECT id, full_name FROM people WHERE age >= 18',
    });
    expect(v.status).to.equal(201);
    expect(
      (await (await api('data/views')).json()).map((x: { view_name: string }) => x.view_name),
    ).to.deep.equal(['adults']);
    const twoStatements = await api('data/views', 'POST', {
      name: 'evil',
      sql: 'SELECT 1; DROP TABLE people',
    });
    expect(twoStatements.status).to.equal(400);
    expect((await api('data/views/adults', 'DELETE')).status).to.equal(204);
    expect(await (await api('data/views')).json()).to.deep.equal([]);
  });

  it('a read_only connection reads, and refuses every DDL and row change with a 403 saying so', async () => {
    expect((await api('locked/tables/people/rows')).status).to.equal(200);
    const column = { name: 'z', type: 'int' };
    const attempts: [string, string, unknown?][] = [
      ['locked/tables', 'POST', { table_name: 'nope', columns: [column] }],
      ['locked/tables/people', 'PATCH', { add_columns: [column] }],
      ['locked/tables/people', 'DELETE'],
      ['locked/views', 'POST', { name: 'v2', sql: 'SELECT 1' }],
      ['locked/views/whatever', 'DELETE'],
      ['locked/tables/people/rows', 'POST', { rows: [{ id: 99 }] }],
      ['locked/tables/people/rows', 'PATCH', { where: { id: 1 }, set_values: { age: 1 } }],
      ['locked/tables/people/rows', 'DELETE', { where: { id: 1 } }],
    ];
    for (const [path, method, body] of attempts) {
      const r = await api(path, method, body);
      expect(r.status, `${method} ${path}`).to.equal(403);
      expect((await r.json()).detail, `${method} ${path}`).to.match(/read-only/);
    }
    expect((await (await api('data/tables/people/rows')).json()).total_count).to.equal(5);
  });

  it('drops a table with ?cascade', async () => {
    await api('data/views', 'POST', { name: 'dep', sql: 'SELECT id FROM people' });
    expect((await api('data/tables/people', 'DELETE')).status).to.equal(400);
    expect((await api('data/tables/people?cascade=true', 'DELETE')).status).to.equal(204);
    expect((await api('data/tables/people')).status).to.equal(404);
  });

  it('keeps annotations as events and shows them on tables and columns', async () => {
    await api('data/tables', 'POST', { table_name: 'notes', columns: [{ name: 'body', type: 'text' }] });
    const put = await api('data/annotations', 'PUT', {
      annotations: [
        {
          schema_name: 'public',
          table_name: 'notes',
          display_name: 'Notes',
          description: 'what people wrote',
        },
        { schema_name: 'public', table_name: 'notes', column_name: 'body', display_name: 'Body' },
      ],
    });
    expect(await put.json()).to.deep.equal({ upserted: 2 });
    await api('data/annotations', 'PUT', {
      annotations: [{ schema_name: 'public', table_name: 'notes', display_name: 'Notebook' }],
    });
    const got = await (await api('data/annotations')).json();
    expect(got.annotations).to.have.length(2);
    const tables = await (await api('data/tables')).json();
    expect(tables.find((x: { table_name: string }) => x.table_name === 'notes')).to.include({
      display_name: 'Notebook',
      description: null,
    });
    const detail = await (await api('data/tables/notes')).json();
    expect(detail.display_name).to.equal('Notebook');
    expect(detail.columns[0]).to.include({ display_name: 'Body' });
    const id = (await (await t.api('/api/v1/database-connections/data')).json()).id;
    const events = await t.platform.services.eventStore.readStream(`dbannotations-${id}`);
    expect(events.map((e) => e.type)).to.deep.equal(['DatabaseAnnotationsSet', 'DatabaseAnnotationsSet']);
  });
});
