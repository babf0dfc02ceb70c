/**
 * The default blob adapter: chunks of up to 1 MiB in the `file_blobs` table (infra/migrations), so
 * every API process on every host sees the same files. Writes batch incoming pieces into chunks;
 * reads fetch one chunk per query, so neither side holds more than a chunk.
 */
import type pg from 'pg';
import type { BlobStore } from './blob-store.js';

const CHUNK = 1024 * 1024;

export class PgBlobStore implements BlobStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(key: string, body: AsyncIterable<Buffer>): Promise<void> {
    let parts: Buffer[] = [];
    let held = 0;
    let seq = 0;
    const flush = async (bytes: Buffer) => {
      await this.pool.query('INSERT INTO file_blobs (key, seq, data) VALUES ($1, $2, $3)', [
        key,
        seq++,
        bytes,
      ]);
    };
    for await (const piece of body) {
      parts.push(piece);
      held += piece.length;
      while (held >= CHUNK) {
        const all = Buffer.concat(parts);
        await flush(all.subarray(0, CHUNK));
        parts = [all.subarray(CHUNK)];
        held = all.length - CHUNK;
      }
    }
    // an empty blob still has a row: an empty file exists
    if (held > 0 || seq === 0) await flush(Buffer.concat(parts));
  }

  async *get(key: string): AsyncIterable<Buffer> {
    for (let seq = 0; ; seq++) {
      const { rows } = await this.pool.query<{ data: Buffer }>(
        'SELECT data FROM file_blobs WHERE key = $1 AND seq = $2',
        [key, seq],
      );
      if (rows.length === 0) return;
      yield rows[0]!.data;
    }
  }

  async delete(key: string): Promise<void> {
    await this.pool.query('DELETE FROM file_blobs WHERE key = $1', [key]);
  }
}
