/**
 * Serialises the uploads that name one file in one collection, across every API process: a
 * Postgres advisory lock on (collection, name), held from the name decision (a new file, a new
 * version, or a suffixed name) until the read model shows the outcome. Two uploads of one new name
 * then make one file (with `update_existing`, two versions) or two names, never two files under
 * one name. The bytes are stored before the lock is taken, so it is held for milliseconds.
 */
import type pg from 'pg';

export type NameLock = <T>(collectionId: string, name: string, fn: () => Promise<T>) => Promise<T>;

export function pgNameLock(pool: pg.Pool): NameLock {
  return async (collectionId, name, fn) => {
    const client = await pool.connect();
    const key = `sinas-file-name/${collectionId}/${name}`;
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      }
    } finally {
      client.release();
    }
  };
}
