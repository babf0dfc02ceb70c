/**
 * State as of an event, computed by folding events — with the projection's own code, so it is
 * exactly what the read model would have said then: the projection is applied to the given events
 * in a transaction on temporary tables (`pg_temp` first on the search path), the query reads them,
 * and the transaction rolls back. Nothing is re-run (no model, no tool) and nothing is kept.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import type { Projection, TableNames } from './projection.js';
import { withClient } from '../events/postgres/with-client.js';

export async function projectedAsOf<T>(
  pool: pg.Pool,
  projection: Projection,
  events: readonly RecordedEvent[],
  query: (client: pg.PoolClient, tables: TableNames) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client, discard) => {
    try {
      await client.query('BEGIN');
      // the session's temporary schema exists only once a temporary table was made in it
      await client.query('CREATE TEMP TABLE IF NOT EXISTS sinas_as_of_anchor (x int) ON COMMIT DROP');
      await client.query('SET LOCAL search_path TO pg_temp, public');
      const tables = Object.fromEntries(projection.tables.map((t) => [t, `${t}__as_of`]));
      await client.query(projection.createTables(tables));
      await projection.apply(client, events, tables);
      return await query(client, tables);
    } finally {
      // the answer (or the error) above stands; a connection that cannot roll back still holds its
      // temporary tables, so it is closed instead of going back to the pool
      await client.query('ROLLBACK').catch((err: Error) => discard(err));
    }
  });
}
