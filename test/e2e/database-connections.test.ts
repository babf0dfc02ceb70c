import { expect } from 'chai';
import net from 'node:net';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

/** a loopback port nothing listens on: a connection there is refused */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Database connections over HTTP (admin)', function () {
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

  const create = (name: string, extra: Record<string, unknown> = {}) =>
    t.api('/api/v1/database-connections', {
      method: 'POST',
      json: { name, connection_type: 'postgresql', ...db.fields, ...extra },
    });

  it('creates a connection whose password is never returned and is ciphertext only in events and the read model', async () => {
    const res = await create('main');
    expect(res.status).to.equal(201);
    const body = await res.json();
    expect(body).to.include({
      name: 'main',
      connection_type: 'postgresql',
      read_only: false,
      has_password: true,
    });
    expect(body.config).to.deep.equal({ min_pool_size: 2, max_pool_size: 10 });
    expect(body).not.to.have.property('password');
    const secret = db.fields.password;
    for (const path of ['/api/v1/database-connections/main', '/api/v1/database-connections'])
      expect(JSON.stringify(await (await t.api(path)).json())).not.to.contain(secret);
    // connections are never exported (reference §6.1), with or without secrets
    const exported = await (await t.api('/api/v1/config/export?include_secrets=true')).text();
    expect(exported).not.to.contain('databaseConnections');
    expect(exported).not.to.contain(secret);
    const events = await t.platform.services.eventStore.readAll({ filter: { categories: ['dbconnection'] } });
    expect(events.length).to.be.greaterThan(0);
    expect(JSON.stringify(events.map((e) => e.data))).not.to.contain(secret);
    const rows = await t.platform.services.pool.query('SELECT spec FROM database_connections');
    expect(JSON.stringify(rows.rows)).not.to.contain(secret);
  });

  it('refuses a duplicate name, another connection type, and a bad port, naming the field', async () => {
    expect((await create('main')).status).to.equal(409);
    const other = await create('ch', { connection_type: 'clickhouse' });
    expect(other.status).to.equal(400);
    expect((await other.json()).errors.map((e: { field: string }) => e.field)).to.include('connection_type');
    const port = await create('badport', { port: 70000 });
    expect(port.status).to.equal(400);
    expect((await port.json()).errors.map((e: { field: string }) => e.field)).to.include('port');
  });

  it('updates and deletes by id as well as by name', async () => {
    const made = await (await create('byid')).json();
    const patched = await t.api(`/api/v1/database-connections/${made.id}`, {
      method: 'PATCH',
      json: { read_only: true },
    });
    expect(patched.status).to.equal(200);
    expect(await patched.json()).to.include({ name: 'byid', read_only: true });
    const gone = await t.api(`/api/v1/database-connections/${made.id}`, { method: 'DELETE' });
    expect(gone.status).to.equal(204);
    expect((await t.api('/api/v1/database-connections/byid')).status).to.equal(404);
  });

  it('tests a connection before saving it: success, and a refused port answers success:false', async () => {
    const ok = await t.api('/api/v1/database-connections/test', {
      method: 'POST',
      json: { connection_type: 'postgresql', ...db.fields },
    });
    expect(ok.status).to.equal(200);
    const good = await ok.json();
    expect(good.success).to.equal(true);
    expect(good.latency_ms).to.be.a('number');
    const refused = await t.api('/api/v1/database-connections/test', {
      method: 'POST',
      json: { connection_type: 'postgresql', ...db.fields, port: await closedPort() },
    });
    expect(refused.status).to.equal(200);
    const bad = await refused.json();
    expect(bad.success).to.equal(false);
    expect(bad.message).to.match(/ECONNREFUSED|refused/i);
    const wrongPassword = await t.api('/api/v1/database-connections/test', {
      method: 'POST',
      json: { connection_type: 'postgresql', ...db.fields, password: 'wrong' },
    });
    expect((await wrongPassword.json()).success).to.equal(false);
  });

  it('tests a saved connection by id and by name', async () => {
    const made = await (await create('saved')).json();
    for (const key of [made.id, 'saved']) {
      const r = await t.api(`/api/v1/database-connections/${key}/test`, { method: 'POST' });
      expect(r.status).to.equal(200);
      expect((await r.json()).success).to.equal(true);
    }
    await create('deadend', { port: await closedPort() });
    const dead = await (await t.api('/api/v1/database-connections/deadend/test', { method: 'POST' })).json();
    expect(dead.success).to.equal(false);
  });

  it('a browser call on an unreachable connection is a 502 naming it, never a 500', async () => {
    await create('unreachable', { port: await closedPort() });
    const r = await t.api('/api/v1/database-connections/unreachable/schemas');
    expect(r.status).to.equal(502);
    expect((await r.json()).detail).to.contain("'unreachable'");
    const login = await create('badlogin', { password: 'not-the-password' });
    expect(login.status).to.equal(201);
    expect((await t.api('/api/v1/database-connections/badlogin/schemas')).status).to.equal(502);
  });

  it('is refused to a non-admin', async () => {
    const key = await userKey(t, 'plain');
    const r = await t.api('/api/v1/database-connections', { headers: { 'x-api-key': key } });
    expect(r.status).to.equal(403);
  });
});
