/**
 * The filesystem blob adapter (SINAS_BLOB_DIR): one file per key under a directory. Only for a
 * single host, or a directory every API host mounts; the Postgres adapter is the default.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store.js';

export class FsBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  /** keys are server-made (uuids): anything else is a bug, never a path to follow */
  private pathOf(key: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(key)) throw new Error(`not a blob key: ${key}`);
    return path.join(this.dir, key);
  }

  async put(key: string, body: AsyncIterable<Buffer>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await pipeline(Readable.from(body), createWriteStream(this.pathOf(key), { flags: 'wx' }));
  }

  get(key: string): AsyncIterable<Buffer> {
    return createReadStream(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
