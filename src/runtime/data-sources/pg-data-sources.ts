/**
 * `DataSources` on the database_connections read model: one `pg.Pool` per connection, built on
 * first use from its fields and its password opened with the master keyring, and kept while the
 * connection stays at that version. Every lookup compares the cached pools with the read model
 * (one query), so a changed connection gets a new pool and a deleted one loses its pool at the
 * next lookup of any connection; the old pool ends once its running transactions release it.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { NotFoundError } from '../../errors.js';
import type { Keyring, Sealed } from '../cipher.js';
import type { DataSource, DataSourceRun, DataSources } from './data-sources.js';
import { poolConfig, type ConnectionTarget } from './pool-config.js';
import { asSourceError } from './source-errors.js';

interface ConnectionRow {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly spec: Record<string, unknown>;
}

interface Cached {
  readonly version: string;
  readonly pool: pg.Pool;
  readonly source: DataSource;
}

export class PgDataSources implements DataSources {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly platformPool: pg.Pool,
    private readonly cipher: Keyring,
    private readonly log: Logger,
  ) {}

  byId(id: string): Promise<DataSource> {
    return this.lookup('id', id);
  }

  byName(name: string): Promise<DataSource> {
    return this.lookup('name', name);
  }

  /** ends every pool (the platform stops) */
  async close(): Promise<void> {
    const pools = [...this.cache.values()].map((c) => c.pool);
    this.cache.clear();
    await Promise.all(pools.map((p) => this.end(p)));
  }

  private async lookup(by: 'id' | 'name', key: string): Promise<DataSource> {
    const wanted = by === 'id' ? key.toLowerCase() : key;
    const { rows } = await this.platformPool.query<ConnectionRow>(
      `SELECT id::text, name, version::text, spec FROM database_connections
        WHERE ${by === 'id' ? 'id::text' : 'name'} = $1 OR id = ANY($2::uuid[])`,
      [wanted, [...this.cache.keys()]],
    );
    this.prune(rows);
    const row = rows.find((r) => (by === 'id' ? r.id : r.name) === wanted);
    if (!row) throw new NotFoundError(`database connection '${key}' not found`, `connection`);
    return this.sourceOf(row);
  }

  /** drops the pools of connections deleted or changed since they were built */
  private prune(rows: readonly ConnectionRow[]): void {
    const now = new Map(rows.map((r) => [r.id, r.version]));
    for (const [id, c] of this.cache) {
      if (now.get(id) === c.version) continue;
      this.cache.delete(id);
      void this.end(c.pool);
    }
  }

  private sourceOf(row: ConnectionRow): DataSource {
    const cached = this.cache.get(row.id);
    if (cached) return cached.source;
    const spec = row.spec as unknown as ConnectionTarget & {
      config?: { min_pool_size?: number; max_pool_size?: number };
      read_only?: boolean;
    };
    const password = spec.password ? this.cipher.open(spec.password as unknown as Sealed) : undefined;
    const pool = new pg.Pool(
      poolConfig({ ...spec, password }, row.name, {
        min: spec.config?.min_pool_size,
        max: spec.config?.max_pool_size,
      }),
    );
    // an idle client cut by the database: the pool replaces it; the next run reports a real failure
    pool.on('error', (err) => this.log.warn({ err, connection: row.name }, 'data source: idle client lost'));
    const source = new PgDataSource(row.id, row.name, spec.read_only === true, pool);
    this.cache.set(row.id, { version: row.version, pool, source });
    return source;
  }

  private async end(pool: pg.Pool): Promise<void> {
    try {
      await pool.end();
    } catch (err) {
      this.log.warn({ err }, 'data source: a pool did not end cleanly');
    }
  }
}

/** One connection's pool: each run is one transaction, read-only when asked or when the connection is. */
export class PgDataSource implements DataSource {
  constructor(
    readonly id: string,
    readonly name: string,
    readonly readOnly: boolean,
    private readonly pool: pg.Pool,
  ) {}

  async run<T>(options: DataSourceRun, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw asSourceError(err, this.name);
    });
    let broken: Error | undefined;
    try {
      // one round trip: both statements in one simple-protocol query (no parameters; the number is ours)
      const begin = options.readOnly || this.readOnly ? 'BEGIN READ ONLY' : 'BEGIN';
      const timeout =
        options.timeoutMs === undefined
          ? ''
          : `; SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}`;
      await client.query(begin + timeout);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = await rollback(client);
      throw asSourceError(err, this.name);
    } finally {
      client.release(broken);
    }
  }
}

/** undefined when the rollback worked; else the client is broken and must not go back to the pool */
async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
