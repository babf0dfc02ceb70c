/**
 * Serialises the uploads into one collection, across every API process: a Postgres advisory lock on
 * the collection, held from the name and quota decisions (a new file, a new version, or a suffixed
 * name; whether the collection's versions stay within `max_total_size_gb`) until the read model
 * shows the outcome. Two uploads of one new name then make one file (with `update_existing`, two
 * versions) or two names, never two files under one name; and uploads of different names can never
 * together pass the quota, each one checking the total the one before it left. The bytes are stored
 * (and the content filter has run) before the lock is taken, so it is held for milliseconds.
 */
import type pg from 'pg';

export type NameLock = <T>(collectionId: string, fn: () => Promise<T>) => Promise<T>;

export function pgNameLock(pool: pg.Pool): NameLock {
  return async (collectionId, fn) => {
    const client = await pool.connect();
    const key = `sinas-file-upload/${collectionId}`;
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
