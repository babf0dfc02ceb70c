/**
 * The blob port's contract (DESIGN §3), against both adapters on real services: Postgres chunks
 * (a fresh database, migrated) and a filesystem directory (a fresh temp dir). Empty, one-byte and
 * multi-chunk blobs come back byte for byte; a blob over its limit is refused (413) and leaves
 * nothing; delete is idempotent.
 */
import { expect } from 'chai';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { PayloadTooLargeError } from '../../src/errors.js';
import { migrate } from '../../src/runtime/migrate.js';
import { putMeasured, type BlobStore } from '../../src/runtime/files/blob-store.js';
import { FsBlobStore } from '../../src/runtime/files/fs-blob-store.js';
import { PgBlobStore } from '../../src/runtime/files/pg-blob-store.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';

async function read(blobs: BlobStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of blobs.get(key)) parts.push(c);
  return Buffer.concat(parts);
}

/** `pieces` in uneven sizes, as a network delivers them */
async function* pieces(b: Buffer): AsyncIterable<Buffer> {
  for (let i = 0, step = 7; i < b.length; i += step, step = (step * 31) % 300_001 || 7)
    yield b.subarray(i, i + step);
}

function contract(name: string, make: () => Promise<{ blobs: BlobStore; left: () => Promise<number> }>) {
  describe(`blob store: ${name}`, function () {
    this.timeout(60_000);
    let blobs: BlobStore;
    let left: () => Promise<number>;
    before(async () => ({ blobs, left } = await make()));

    for (const size of [0, 1, 3 * 1024 * 1024 + 17]) {
      it(`round-trips ${size} bytes, measured and hashed`, async () => {
        const bytes = randomBytes(size);
        const key = randomUUID();
        const m = await putMeasured(blobs, key, pieces(bytes), size);
        expect(m).to.deep.equal({ size, sha256: createHash('sha256').update(bytes).digest('hex') });
        expect((await read(blobs, key)).equals(bytes)).to.equal(true);
        await blobs.delete(key);
        await blobs.delete(key); // idempotent
        expect((await read(blobs, key).catch(() => Buffer.alloc(0))).length).to.equal(0);
      });
    }

    it('refuses a blob past its limit and keeps nothing of it', async () => {
      const before = await left();
      const err = await putMeasured(
        blobs,
        randomUUID(),
        pieces(randomBytes(2 * 1024 * 1024)),
        1024 * 1024,
      ).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(PayloadTooLargeError);
      expect(await left()).to.equal(before);
    });
  });
}

let db: TestDatabase;
let pool: pg.Pool;
contract('Postgres', async () => {
  db = await freshDatabase();
  pool = testPool(db.url, 4);
  await migrate(pool);
  const count = async () => Number((await pool.query('SELECT count(*) AS n FROM file_blobs')).rows[0].n);
  return { blobs: new PgBlobStore(pool), left: count };
});
after(async () => {
  await pool?.end();
  await db?.drop();
});

let dir = '';
contract('filesystem directory', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sinas-blobs-'));
  return {
    blobs: new FsBlobStore(path.join(dir, 'blobs')),
    left: async () => (await readdir(path.join(dir, 'blobs')).catch(() => [])).length,
  };
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});
