/**
 * The revocation list against real Postgres, with two or three instances standing for API processes
 * on one database: one hears what another revokes, one started later loads it, and a deactivation
 * seen late by the worker's reactor (a declarative config's) kills only what was issued by then.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { streams } from '../../src/events/stream-names.js';
import { ApiKeys } from '../../src/runtime/auth/api-keys.js';
import { ApiKeyQueries } from '../../src/projections/api-key-queries.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import { credentialReactor } from '../../src/runtime/auth/credential-reactor.js';
import { RefreshTokens } from '../../src/runtime/auth/refresh-tokens.js';
import { Revocations } from '../../src/runtime/auth/revocations.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { until } from '../support/until.js';

const ELSEWHERE_MS = 5_000;

describe('revoked credentials shared by every process', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  const started: Revocations[] = [];
  const anotherProcess = async () => {
    const r = new Revocations(pool, db.url);
    started.push(r);
    await r.start();
    return r;
  };
  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 8);
    await migrate(pool);
  });
  after(async () => {
    await Promise.all(started.map((r) => r.stop()));
    await pool?.end();
    await db?.drop();
  });

  it('revokes a user everywhere: at once here, within 5 s in another process, loaded by a later one', async () => {
    const [here, there] = [await anotherProcess(), await anotherProcess()];
    const user = randomUUID();
    const before = Date.now() - 60_000;
    const key = (at: number) => ({ userId: user, issued: [at, at] as const });
    expect(here.revoked(key(before))).to.equal(undefined);
    await here.revokeUser(user, 'now', { by: 'admin', reason: 'user_deactivated' });
    expect(here.revoked(key(before))).to.equal('user');
    await until('the other process hears it', () => there.revoked(key(before)) === 'user', ELSEWHERE_MS);
    expect((await anotherProcess()).revoked(key(before))).to.equal('user');
    // issued after the cutoff: alive
    expect(here.revoked(key(Date.now() + 60_000))).to.equal(undefined);
  });

  it("refuses a token of the cutoff's own second unless its login decides", async () => {
    const here = await anotherProcess();
    const user = randomUUID();
    await here.revokeUser(user, new Date('2030-01-01T00:00:00.500Z'), { by: 'x', reason: 'user_deleted' });
    const second = Date.parse('2030-01-01T00:00:00.000Z');
    const token = { userId: user, issued: [second, second + 999] as const };
    expect(here.revoked(token), 'a function run token').to.equal('user');
    expect(here.revoked({ ...token, session: randomUUID() }), 'a login begun after').to.equal(undefined);
    expect(here.revoked({ ...token, issued: [second - 1000, second - 1] }), 'the second before').to.equal(
      'user',
    );
  });

  it('revokes a logged-out login everywhere until its tokens have expired', async () => {
    const [here, there] = [await anotherProcess(), await anotherProcess()];
    const user = randomUUID();
    const session = randomUUID();
    const token = { userId: user, issued: [Date.now(), Date.now()] as const, id: randomUUID(), session };
    await here.revokeTokens([session], user, new Date(Date.now() + 60_000), 'logout');
    expect(here.revoked(token)).to.equal('token');
    await until('the other process hears it', () => there.revoked(token) === 'token', ELSEWHERE_MS);
    expect(here.revoked({ ...token, session: randomUUID() }), 'another login').to.equal(undefined);
  });

  it("revokes, from the worker's reactor, what a late-seen deactivation's user held then, not what came after", async () => {
    const here = await anotherProcess();
    const keys = new ApiKeys(pool);
    const refresh = new RefreshTokens(pool);
    const user = randomUUID();
    const at = new Date(Date.now() - 3_600_000);
    const early = await keys.create(user, 'early');
    const late = await keys.create(user, 'late');
    await pool.query(`UPDATE api_keys SET created_at = $2 WHERE id = $1`, [
      early.row.id,
      new Date(at.getTime() - 1000),
    ]);
    const oldLogin = await refresh.startFamily(user, new Date(at.getTime() - 1000));
    const newLogin = await refresh.startFamily(user);

    const store = new PgEventStore(pool, db.url);
    const id = randomUUID();
    await store.append(
      streams.user(user),
      [
        {
          id,
          type: 'UserDeactivated',
          data: { by: 'config', at: at.toISOString() },
          metadata: { correlationId: id, causationId: id, actor: 'config', version: 1 },
        },
      ],
      'any',
    );
    const runner = new ProjectionRunner(pool, store, credentialReactor(here), {});
    runner.start();
    try {
      await until('the reactor revokes the early key', async () => {
        const { rows } = await pool.query('SELECT revoked_at FROM api_keys WHERE id = $1', [early.row.id]);
        return rows[0].revoked_at !== null;
      });
    } finally {
      await runner.stop();
      await store.close();
    }
    expect((await new ApiKeyQueries(pool).get(late.row.id))!.revoked_at, 'a key made after').to.equal(null);
    expect((await refresh.rotate(oldLogin.token)).ok, 'the login from before').to.equal(false);
    expect((await refresh.rotate(newLogin.token)).ok, 'a login after').to.equal(true);
    const before = { userId: user, issued: [at.getTime() - 1000, at.getTime() - 1000] as const };
    await until('the cutoff is heard at commit', () => here.revoked(before) === 'user', ELSEWHERE_MS);
  });
});
