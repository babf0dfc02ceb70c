/** Runs `fn` in a transaction on a pooled connection: COMMIT on success, ROLLBACK on error. */
import type pg from 'pg';
import { inTransactionOn } from '../events/postgres/with-client.js';

export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (tx: pg.PoolClient) => Promise<T>,
  options: {
    /** read-only, every statement seeing one snapshot (REPEATABLE READ): for reads that must agree */
    readonly snapshot?: boolean;
  } = {},
): Promise<T> {
  return inTransactionOn(
    pool,
    options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN',
    fn,
  );
}
