/**
 * The one way to check a client out of the pool. A checked-out `pg` client that loses its
 * connection emits 'error', and an 'error' with no listener ends the process; so every checkout
 * listens for the whole time it is held, and a client whose connection broke is destroyed on
 * release instead of going back to the pool.
 */
import type pg from 'pg';
import { isConnectionError } from '../../dependency-errors.js';

/**
 * `fn` gets the client, and `discard` to have it closed on release though no connection error was
 * seen (it is left in a state the next user must not inherit).
 */
export async function withClient<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, discard: (why: Error) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // the query that was running rejects with the same failure: this only keeps the process alive
  const onError = (err: Error) => void (broken ??= err);
  client.on('error', onError);
  try {
    return await fn(client, (why) => void (broken ??= why));
  } catch (err) {
    if (isConnectionError(err)) broken ??= err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Runs `fn` in a transaction on a pooled client: COMMIT on success, ROLLBACK on error (a ROLLBACK
 * that fails means the connection is gone, which withClient then discards).
 */
export async function inTransactionOn<T>(
  pool: pg.Pool,
  begin: string,
  fn: (tx: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query(begin);
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        // the connection is gone: pg marks the client unusable, so the release discards it; the
        // failure to report is the first one
      });
      throw err;
    }
  });
}
