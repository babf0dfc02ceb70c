import { expect } from 'chai';
import pg from 'pg';
import { ApiKeys } from '../../src/runtime/auth/api-keys.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, type TestDatabase, testPool } from '../support/pg.js';

describe('bootstrap admin API key', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeEach(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 2);
    await migrate(pool);
  });
  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  it('is generated once at first start, stored only as a hash, and authenticates', async () => {
    const keys = new ApiKeys(pool);
    const { generated } = await keys.bootstrap(undefined);
    expect(generated).to.match(/^sk-sinas-/);
    expect((await keys.bootstrap(undefined)).generated, 'second start prints nothing').to.equal(undefined);
    const stored = JSON.stringify((await pool.query('SELECT * FROM api_keys')).rows);
    expect(stored).not.to.contain(generated!);
    expect(stored).to.contain(generated!.slice(0, 12));
    const who = await keys.authenticate(generated!);
    expect(who?.isAdmin).to.equal(true);
    expect(await new ApiKeys(pool).authenticate(`${generated}x`)).to.equal(undefined);
  });

  it('takes SINAS_ADMIN_API_KEY when given, keeping the same admin user across restarts', async () => {
    const keys = new ApiKeys(pool);
    await keys.bootstrap('configured-admin-key-123');
    await keys.bootstrap('configured-admin-key-123');
    await keys.bootstrap('rotated-admin-key-4567890');
    const a = await keys.authenticate('configured-admin-key-123');
    const b = await keys.authenticate('rotated-admin-key-4567890');
    expect(a?.userId).to.be.a('string');
    expect(b?.userId).to.equal(a?.userId);
    expect((await pool.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n).to.equal(2);
  });
});
