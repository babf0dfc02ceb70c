/** A fresh, empty database per test suite on the run's Postgres server (TEST_DATABASE_URL). */
import pg from 'pg';
import { randomUUID } from 'node:crypto';

export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A new database on the run's server. `owner: 'app'`: owned by a fresh LOGIN role without
 * superuser, and the URL connects as it (what production requires of DATABASE_URL); by default the
 * URL connects as the server's superuser.
 */
export async function freshDatabase(options: { owner?: 'superuser' | 'app' } = {}): Promise<TestDatabase> {
  const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const password = randomUUID();
  const app = options.owner === 'app';
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  if (app) await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  await admin.query(`CREATE DATABASE ${name}${app ? ` OWNER ${name}` : ''}`);
  await admin.end();
  const u = new URL(serverUrl());
  u.pathname = `/${name}`;
  if (app) {
    u.username = name;
    u.password = password;
  }
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      if (app) await c.query(`DROP ROLE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

/** A pool for a test database; a connection cut by the database's drop at cleanup is not an error. */
export function testPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  return pool;
}
