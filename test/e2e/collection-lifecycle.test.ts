/**
 * A collection's whole-collection rules (reference §5.8): the total-size quota (413, nothing kept),
 * measured with SINAS_COLLECTION_QUOTA_UNIT_BYTES (a test setting: one `max_total_size_gb` unit is
 * 1000 bytes here), held by concurrent uploads of different names too, and deleting a collection, which deletes its files' read-model rows and
 * contents (blobs) on both blob adapters while their events stay as history.
 */
import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileStream } from '../../src/events/file-events.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

const b64 = (n: number) => Buffer.alloc(n, 7).toString('base64');

async function blobKeys(t: TestPlatform, collectionId: string): Promise<string[]> {
  const { rows } = await t.platform.services.pool.query<{ blob_key: string }>(
    `SELECT v.blob_key FROM file_versions v JOIN files f ON f.id = v.file_id WHERE f.collection_id = $1`,
    [collectionId],
  );
  return rows.map((r) => r.blob_key);
}

describe('collections: total-size quota and delete (reference §5.8)', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  before(async () => {
    t = await startTestPlatform({ SINAS_COLLECTION_QUOTA_UNIT_BYTES: '1000' });
    alice = { 'x-api-key': await userKey(t, 'quota-alice') };
    bob = { 'x-api-key': await userKey(t, 'quota-bob') };
  });
  after(async () => t?.stop());

  const upload = (coll: string, body: Record<string, unknown>, headers = alice) =>
    t.api(`/files/${coll}`, { method: 'POST', json: body, headers });
  const blobRows = async () =>
    Number((await t.platform.services.pool.query('SELECT count(*) AS n FROM file_blobs')).rows[0].n);

  it('refuses an upload or a new version past max_total_size_gb with 413, and keeps nothing of it', async () => {
    const made = await t.api('/api/v1/collections', {
      method: 'POST',
      json: { namespace: 'quota', name: 'small', max_total_size_gb: 1 },
    });
    expect(made.status).to.equal(201);
    expect((await upload('quota/small', { name: 'a.bin', content_base64: b64(600) })).status).to.equal(201);
    const before = await blobRows();
    const over = await upload('quota/small', { name: 'b.bin', content_base64: b64(401) }, bob);
    expect(over.status).to.equal(413);
    expect((await over.json()).detail).to.match(/quota/);
    const version = await upload('quota/small', {
      name: 'a.bin',
      content_base64: b64(401),
      update_existing: true,
    });
    expect(version.status).to.equal(413);
    expect(await blobRows()).to.equal(before);
    const files = (await (await t.api('/files/quota/small', { headers: alice })).json()) as {
      name: string;
      versions: unknown[];
    }[];
    expect(files.map((f) => [f.name, f.versions.length])).to.deep.equal([['a.bin', 1]]);
    expect((await upload('quota/small', { name: 'c.bin', content_base64: b64(400) }, bob)).status).to.equal(
      201,
    );
  });

  it('lets concurrent uploads of different names together never pass the quota', async () => {
    const made = await t.api('/api/v1/collections', {
      method: 'POST',
      json: { namespace: 'quota', name: 'race', max_total_size_gb: 1 },
    });
    expect(made.status).to.equal(201);
    const collectionId = (await made.json()).id as string;
    // 1000 bytes of quota: three uploads of 300 fit, a fourth would not
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        upload('quota/race', { name: `f${i}.bin`, content_base64: b64(300) }, i % 2 ? bob : alice).then(
          (r) => r.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s === 201)).to.have.length(3);
    expect(statuses.filter((s) => s === 413)).to.have.length(7);
    const { rows } = await t.platform.services.pool.query(
      `SELECT coalesce(sum(v.size_bytes), 0) AS total FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE f.collection_id = $1`,
      [collectionId],
    );
    expect(Number(rows[0].total)).to.equal(900);
  });

  it('deletes every file of a deleted collection: read-model rows and blobs go, the events stay', async () => {
    const made = await t.api('/api/v1/collections', {
      method: 'POST',
      json: { namespace: 'gone', name: 'c' },
    });
    const collectionId = (await made.json()).id as string;
    const a = await (await upload('gone/c', { name: 'a.txt', content_base64: b64(10) })).json();
    await upload('gone/c', { name: 'a.txt', content_base64: b64(20), update_existing: true });
    const b = await (
      await upload('gone/c', { name: 'b.txt', content_base64: b64(5), visibility: 'shared' }, bob)
    ).json();
    const keys = await blobKeys(t, collectionId);
    expect(keys).to.have.length(3);

    expect((await t.api('/api/v1/collections/gone/c', { method: 'DELETE' })).status).to.equal(204);

    const pool = t.platform.services.pool;
    const left = await pool.query('SELECT id FROM files WHERE collection_id = $1', [collectionId]);
    expect(left.rows).to.deep.equal([]);
    const versions = await pool.query('SELECT 1 FROM file_versions WHERE file_id = ANY($1::uuid[])', [
      [a.id, b.id],
    ]);
    expect(versions.rows).to.deep.equal([]);
    const blobs = await pool.query('SELECT 1 FROM file_blobs WHERE key = ANY($1)', [keys]);
    expect(blobs.rows).to.deep.equal([]);
    const history = await t.platform.services.eventStore.readStream(fileStream(a.id as string));
    expect(history.map((e) => e.type)).to.deep.equal(['FileCreated', 'FileVersionAdded', 'FileDeleted']);

    // made again under the same name: empty
    expect((await upload('gone/c', { name: 'new.txt', content_base64: b64(1) })).status).to.equal(201);
    const names = (
      (await (await t.api('/files/gone/c', { headers: alice })).json()) as { name: string }[]
    ).map((f) => f.name);
    expect(names).to.deep.equal(['new.txt']);
  });
});

describe('collections: delete on the filesystem blob adapter', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sinas-blobs-'));
    t = await startTestPlatform({ SINAS_BLOB_DIR: dir });
  });
  after(async () => {
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("removes a deleted collection's blob files from SINAS_BLOB_DIR, and only those", async () => {
    const json = { name: 'k.txt', content_base64: b64(3) };
    expect((await t.api('/files/fs/keep', { method: 'POST', json })).status).to.equal(201);
    const made = await t.api('/files/fs/drop', { method: 'POST', json: { ...json, name: 'd.txt' } });
    expect(made.status).to.equal(201);
    expect(await readdir(dir)).to.have.length(2);
    const kept = await readdir(dir);
    expect((await t.api('/api/v1/collections/fs/drop', { method: 'DELETE' })).status).to.equal(204);
    const now = await readdir(dir);
    expect(now).to.have.length(1);
    expect(kept).to.include(now[0]);
    expect((await t.api('/files/fs/keep/k.txt')).status).to.equal(200);
  });
});
