/** Runs `fn` in a transaction on a pooled connection: COMMIT on success, ROLLBACK on error. */
import type pg from 'pg';

export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (tx: pg.PoolClient) => Promise<T>,
  options: {
    /** read-only, every statement seeing one snapshot (REPEATABLE READ): for reads that must agree */
    readonly snapshot?: boolean;
  } = {},
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw err;
  } finally {
    client.release(broken);
  }
}
