/** A fresh database per benchmark on the run's Postgres server (BENCH_DATABASE_URL). */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/runtime/migrate.js';
import { log } from './io.js';

export interface BenchDatabase {
  readonly url: string;
  /** a pool on the fresh database, already migrated to the Sinas schema */
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

export function serverUrl(): string {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is not set: run the benchmarks with `npm run bench`');
  return url;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A pool whose idle-client errors (say, the database being dropped at the end) are logged, not fatal. */
export function benchPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', (err) => log(`pool: ${err.message}`));
  return pool;
}

/** Creates an empty database, migrates it, and returns a pool of `poolMax` connections on it. */
export async function freshDatabase(poolMax = 10): Promise<BenchDatabase> {
  const name = `bench_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(serverUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = benchPool(url, poolMax);
  await migrate(pool);
  return {
    url,
    pool,
    async drop() {
      await pool.end().catch(() => {});
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
