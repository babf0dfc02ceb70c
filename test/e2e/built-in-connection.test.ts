/**
 * The `built-in` database connection: made at start, pointing at the data database and never the
 * platform's own: on embedded Postgres the `sinas_data` database with its own role, beside an
 * external DATABASE_URL the one SINAS_DATA_DATABASE_URL names (none without it).
 */
import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../src/runtime/config.js';
import { ensureBuiltInConnection } from '../../src/runtime/data-sources/built-in.js';
import { Platform } from '../../src/runtime/platform.js';
import {
  ADMIN_KEY,
  startTestPlatform,
  TEST_ENCRYPTION_KEY,
  TEST_JWT_SECRET,
  type TestPlatform,
} from '../support/platform.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

const silent = pino({ level: 'silent' });

/** what a role gets reading the platform's `agents` table: 'ok', or the error's SQLSTATE */
async function readAgents(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT * FROM agents');
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await c.end().catch(() => {}); // never connected: nothing to end
  }
}

describe('the built-in database connection', function () {
  this.timeout(180_000);

  describe('beside an external DATABASE_URL', () => {
    let t: TestPlatform;
    let data: UserDatabase;
    before(async () => {
      data = await userDatabase();
      t = await startTestPlatform({ SINAS_DATA_DATABASE_URL: data.url });
    });
    after(async () => {
      await t?.stop();
      await data?.drop();
    });

    it('is made at start, managed by the system, and its password is never shown', async () => {
      const r = await t.api('/api/v1/database-connections/built-in');
      expect(r.status).to.equal(200);
      const body = await r.json();
      expect(body).to.include({ name: 'built-in', managed_by: 'system', database: data.fields.database });
      expect(JSON.stringify(body)).not.to.contain(data.fields.password);
      const schemas = await (await t.api('/api/v1/database-connections/built-in/schemas')).json();
      expect(schemas.map((s: { schema_name: string }) => s.schema_name)).to.include('public');
    });

    it('cannot read the platform’s tables', async () => {
      const platformDb = new URL(t.db.url).pathname.slice(1);
      const asDataRole = new URL(data.url);
      asDataRole.pathname = `/${platformDb}`;
      expect(await readAgents(t.db.url)).to.equal('ok'); // the table is there
      expect(await readAgents(asDataRole.toString())).to.equal('42501');
    });

    it('is ensured once: a second start that finds it right writes nothing', async () => {
      const events = () =>
        t.platform.services.eventStore.readStream(
          t.platform.services.kinds.databaseConnections!.stream('default', 'built-in'),
        );
      const before = (await events()).length;
      await ensureBuiltInConnection(
        t.platform.services.kinds.databaseConnections!,
        t.platform.services.cipher,
        data.url,
        silent,
      );
      expect((await events()).length).to.equal(before);
    });

    it('keeps its name: no one else may create a connection called built-in', async () => {
      await t.api('/api/v1/database-connections/built-in', { method: 'DELETE' });
      const r = await t.api('/api/v1/database-connections', {
        method: 'POST',
        json: { name: 'built-in', ...data.fields },
      });
      expect(r.status).to.equal(403);
    });
  });

  it('is absent without SINAS_DATA_DATABASE_URL beside an external DATABASE_URL', async () => {
    const t = await startTestPlatform();
    try {
      expect((await t.api('/api/v1/database-connections/built-in')).status).to.equal(404);
    } finally {
      await t.stop();
    }
  });

  it('on embedded Postgres, points at sinas_data with its own role, which cannot read the platform’s tables', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sinas-builtin-'));
    chmodSync(root, 0o711);
    const config = loadConfig({
      SINAS_DATA_DIR: path.join(root, 'data'),
      PORT: '0',
      HOST: '127.0.0.1',
      SINAS_ADMIN_API_KEY: ADMIN_KEY,
      SINAS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      SINAS_JWT_SECRET: TEST_JWT_SECRET,
    });
    const platform = await Platform.start(config, silent);
    try {
      const api = (p: string) => fetch(`${platform.url}${p}`, { headers: { 'x-api-key': ADMIN_KEY } });
      const conn = await (await api('/api/v1/database-connections/built-in')).json();
      expect(conn).to.include({ database: 'sinas_data', username: 'sinas_data', managed_by: 'system' });
      const tables = await api('/api/v1/database-connections/built-in/tables');
      expect(tables.status).to.equal(200);
      const dataUrl = platform.services.dataDatabaseUrl!;
      const onPlatformDb = new URL(dataUrl);
      onPlatformDb.pathname = '/sinas';
      expect(await readAgents(platform.services.databaseUrl)).to.equal('ok');
      expect(await readAgents(onPlatformDb.toString())).to.equal('42501');
    } finally {
      await platform.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
