/**
 * The port to the databases users connect (reference §5.3): a database connection by id or name,
 * opened with its sealed password, as a pool the platform keeps per connection. Saved queries,
 * `databaseIntrospection` and the schema browser all reach a user database through it, never
 * through the platform's own pool (the event store and read models are not a data source).
 */
import type pg from 'pg';

export interface DataSourceRun {
  /** a read-only transaction (always, when the connection is `read_only`) */
  readonly readOnly?: boolean;
  /** the server's `statement_timeout` for the transaction, in ms */
  readonly timeoutMs?: number;
}

export interface DataSource {
  readonly id: string;
  readonly name: string;
  /** the connection is `read_only`: every run is a read-only transaction */
  readonly readOnly: boolean;
  /** runs `fn` in one transaction on a client of the connection's pool (committed when it resolves) */
  run<T>(options: DataSourceRun, fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

export interface DataSources {
  /** an active connection; NotFoundError when there is none */
  byId(id: string): Promise<DataSource>;
  byName(name: string): Promise<DataSource>;
}
