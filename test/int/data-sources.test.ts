import { expect } from 'chai';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

describe('PgDataSources: a pool per database connection', function () {
  let t: TestPlatform;
  let db: UserDatabase;
  before(async () => {
    t = await startTestPlatform();
    db = await userDatabase();
  });
  after(async () => {
    await t?.stop();
    await db?.drop();
  });
  const sources = () => t.platform.services.dataSources;
  const create = async (name: string, extra: Record<string, unknown> = {}) => {
    const r = await t.api('/api/v1/database-connections', {
      method: 'POST',
      json: { name, ...db.fields, ...extra },
    });
    expect(r.status).to.equal(201);
    return (await r.json()) as { id: string };
  };

  before(async () => {
    await create('rw');
    await (await sources().byName('rw')).run({}, (c) => c.query('CREATE TABLE items (id int PRIMARY KEY)'));
  });

  it('finds a connection by id and by name, and refuses an unknown one', async () => {
    const byName = await sources().byName('rw');
    const byId = await sources().byId(byName.id);
    expect(byId).to.equal(byName);
    let err: unknown;
    await sources()
      .byName('nope')
      .catch((e) => (err = e));
    expect((err as Error).name).to.equal('NotFoundError');
  });

  it('commits what the function did, and rolls back when it throws', async () => {
    const rw = await sources().byName('rw');
    await rw.run({}, (c) => c.query('INSERT INTO items VALUES (1)'));
    await rw
      .run({}, async (c) => {
        await c.query('INSERT INTO items VALUES (2)');
        throw new Error('boom');
      })
      .catch((e: Error) => expect(e.message).to.equal('boom'));
    const ids = await rw.run({ readOnly: true }, (c) => c.query('SELECT id FROM items ORDER BY id'));
    expect(ids.rows.map((r) => r.id)).to.deep.equal([1]);
  });

  it('a read-only run cannot write (the database refuses it)', async () => {
    const rw = await sources().byName('rw');
    const err = await rw
      .run({ readOnly: true }, (c) => c.query('INSERT INTO items VALUES (3)'))
      .catch((e: { code?: string }) => e);
    expect((err as { code?: string }).code).to.equal('25006');
  });

  it('sets the statement timeout for the transaction', async () => {
    const rw = await sources().byName('rw');
    const err = await rw
      .run({ timeoutMs: 20 }, (c) => c.query('SELECT pg_sleep(30)'))
      .catch((e: { code?: string }) => e);
    expect((err as { code?: string }).code).to.equal('57014');
    const shown = await rw.run({ timeoutMs: 1234 }, (c) => c.query('SHOW statement_timeout'));
    expect(shown.rows[0].statement_timeout).to.equal('1234ms');
  });

  it('a read_only connection runs read-only even when asked for a write, and a change rebuilds its pool', async () => {
    const made = await create('ro');
    const before = await sources().byName('ro');
    expect(before.readOnly).to.equal(false);
    const patch = await t.api(`/api/v1/database-connections/${made.id}`, {
      method: 'PATCH',
      json: { read_only: true },
    });
    expect(patch.status).to.equal(200);
    const after = await sources().byName('ro');
    expect(after).not.to.equal(before);
    expect(after.readOnly).to.equal(true);
    const err = await after
      .run({ readOnly: false }, (c) => c.query('INSERT INTO items VALUES (4)'))
      .catch((e: { code?: string }) => e);
    expect((err as { code?: string }).code).to.equal('25006');
  });

  it('a deleted connection is gone for its users', async () => {
    const made = await create('doomed');
    await sources().byId(made.id);
    expect((await t.api(`/api/v1/database-connections/${made.id}`, { method: 'DELETE' })).status).to.equal(
      204,
    );
    let err: unknown;
    await sources()
      .byId(made.id)
      .catch((e) => (err = e));
    expect((err as Error).name).to.equal('NotFoundError');
  });

  it('keeps at most max_pool_size connections to the database', async () => {
    await create('small', { config: { min_pool_size: 0, max_pool_size: 2 } });
    const small = await sources().byName('small');
    const seen = await Promise.all(
      Array.from({ length: 6 }, () =>
        small.run({ readOnly: true }, async (c) => {
          const r = await c.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sinas/small'`,
          );
          return r.rows[0].n as number;
        }),
      ),
    );
    expect(seen).to.have.length(6);
    expect(Math.max(...seen)).to.be.at.most(2);
  });
});
