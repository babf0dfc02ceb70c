/**
 * `spec.databaseConnections[].annotations` (reference §6.3): applied as the original applies them,
 * upserted by schema, table and column after the connection is written (one the YAML leaves out,
 * or a field it leaves null, stays as stored), unchanged when applied again, validated (schema and
 * duplicates, with the path), and never exported, like the connection and its password.
 */
import { expect } from 'chai';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const PASSWORD = 'annotated-db-password-77f1';
const doc = (annotations: string) => `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: annotated }
spec:
  databaseConnections:
    - name: notes-db
      host: 127.0.0.1
      port: 9
      database: d
      username: u
      password: ${PASSWORD}
      annotations:
${annotations}
`;
const TWO = `        - { tableName: orders, displayName: Orders, description: every order }
        - { schemaName: sales, tableName: orders, columnName: total, displayName: Total }`;

describe('config: database connection annotations', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  const apply = async (yaml: string) => {
    const r = await t.api('/api/v1/config/apply', { method: 'POST', json: { config: yaml } });
    const body = await r.json();
    expect(r.status, JSON.stringify(body)).to.equal(200);
    return body as { changes: { action: string; resourceName: string; changes?: string[] }[] };
  };
  const stored = async () => {
    const r = await t.api('/api/v1/database-connections/notes-db/annotations');
    expect(r.status).to.equal(200);
    return (await r.json()).annotations as Record<string, unknown>[];
  };

  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => {
    await t?.stop();
  });

  it('applies them with the connection, and finds them unchanged when applied again', async () => {
    const first = await apply(doc(TWO));
    expect(first.changes.map((c) => [c.action, c.resourceName])).to.deep.equal([['create', 'notes-db']]);
    expect(await stored()).to.have.deep.members([
      {
        schema_name: 'public',
        table_name: 'orders',
        column_name: null,
        display_name: 'Orders',
        description: 'every order',
      },
      {
        schema_name: 'sales',
        table_name: 'orders',
        column_name: 'total',
        display_name: 'Total',
        description: null,
      },
    ]);
    const again = await apply(doc(TWO));
    expect(again.changes.map((c) => c.action)).to.deep.equal(['unchanged']);
  });

  it('a changed annotation is an update of annotations alone; others, and fields left null, stay as stored', async () => {
    const put = await t.api('/api/v1/database-connections/notes-db/annotations', {
      method: 'PUT',
      json: { annotations: [{ schema_name: 'public', table_name: 'users', display_name: 'People' }] },
    });
    expect(put.status).to.equal(200);
    const changed = await apply(
      doc(`        - { tableName: orders, description: all the orders }
        - { schemaName: sales, tableName: orders, columnName: total, displayName: Total }`),
    );
    expect(changed.changes).to.have.length(1);
    expect(changed.changes[0]).to.include({ action: 'update' });
    expect(changed.changes[0]!.changes).to.deep.equal(['annotations']);
    const now = await stored();
    expect(now).to.deep.include({
      schema_name: 'public',
      table_name: 'orders',
      column_name: null,
      display_name: 'Orders',
      description: 'all the orders',
    });
    expect(now.find((a) => a.table_name === 'users')).to.include({ display_name: 'People' });
    const conn = await (await t.api('/api/v1/database-connections/notes-db')).json();
    expect(conn.version, 'the connection itself was not written again').to.equal(1);
  });

  it('validates them: the schema, and one annotated twice, each with its path', async () => {
    const check = async (annotations: string) => {
      const r = await t.api('/api/v1/config/validate', {
        method: 'POST',
        json: { config: doc(annotations) },
      });
      const body = await r.json();
      expect(body.valid, JSON.stringify(body)).to.equal(false);
      return JSON.stringify(body.errors);
    };
    expect(await check('        - { displayName: no table }')).to.contain('tableName');
    expect(await check('        - { tableName: t, colour: red }')).to.contain('colour');
    const twice = await check(`        - { tableName: t, columnName: c, displayName: A }
        - { tableName: t, columnName: c, displayName: B }`);
    expect(twice).to.contain('spec.databaseConnections[0].annotations[1]');
  });

  it('are never exported, nor the connection or its password', async () => {
    const exported = await (await t.api('/api/v1/config/export?include_secrets=true')).text();
    for (const text of ['databaseConnections', 'notes-db', 'annotations', 'all the orders', PASSWORD])
      expect(exported).not.to.contain(text);
  });
});
