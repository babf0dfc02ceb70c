/**
 * Collections and files over HTTP (reference §5.8) on the real platform: byte-exact round trips
 * (0 bytes, 1 byte, binary, UTF-8 with a BOM, 50 MB multipart checked by SHA-256), size limits as
 * 413, metadata schemas, versions, ETag/304, signed links (expiry, tampering), private and shared
 * files of two users, public collections, and a catastrophic regex that must still answer.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { FileUrls } from '../../src/runtime/files/file-urls.js';
import { until } from '../support/until.js';
import { startTestPlatform, TEST_JWT_SECRET, userKey, type TestPlatform } from '../support/platform.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('collections and files (reference §5.8)', function () {
  this.timeout(300_000);
  let t: TestPlatform;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  const upload = (coll: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.api(`/files/${coll}`, { method: 'POST', json: body, headers });
  const b64 = (b: Buffer) => b.toString('base64');
  const content = async (path: string, headers: Record<string, string> = {}) => {
    const r = await t.api(path, { headers });
    return { status: r.status, etag: r.headers.get('etag'), bytes: Buffer.from(await r.arrayBuffer()) };
  };
  const multipart = (
    coll: string,
    fields: Record<string, string>,
    file: Blob,
    headers: Record<string, string> = {},
  ) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', file, fields.name ?? 'f.bin');
    return t.api(`/files/${coll}/upload`, { method: 'POST', body: form, headers });
  };

  before(async () => {
    t = await startTestPlatform();
    alice = { 'x-api-key': await userKey(t, 'files-alice') };
    bob = { 'x-api-key': await userKey(t, 'files-bob') };
  });
  after(async () => t?.stop());

  it('round-trips 0 bytes, 1 byte, binary and UTF-8 with a BOM byte for byte, creating the collection on first upload', async () => {
    const cases: [string, Buffer, string][] = [
      ['empty.bin', Buffer.alloc(0), 'application/octet-stream'],
      ['one.bin', Buffer.from([0x7f]), 'application/octet-stream'],
      ['binary.bin', Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'application/octet-stream'],
      [
        'bom.txt',
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo\r\nwörld\n', 'utf8')]),
        'text/plain',
      ],
    ];
    for (const [name, bytes, type] of cases) {
      const r = await upload('auto/docs', { name, content_base64: b64(bytes), content_type: type }, alice);
      expect(r.status, name).to.equal(201);
      const f = await r.json();
      expect(f).to.include({
        name,
        current_version: 1,
        visibility: 'private',
        hash_sha256: sha(bytes),
        size_bytes: bytes.length,
      });
      const got = await (await t.api(`/files/auto/docs/${name}`, { headers: alice })).json();
      expect(Buffer.from(got.content_base64, 'base64').equals(bytes), name).to.equal(true);
      const raw = await content(`/files/auto/docs/${name}/content`, alice);
      expect(raw.status).to.equal(200);
      expect(raw.bytes.equals(bytes), name).to.equal(true);
      expect(raw.etag).to.equal(`"${sha(bytes)}"`);
    }
    expect((await t.api('/api/v1/collections/auto/docs')).status).to.equal(200);
  });

  it('streams a 50 MB multipart upload and serves it back with the same SHA-256', async () => {
    const big = randomBytes(50 * 1024 * 1024);
    const r = await multipart(
      'big/blobs',
      { name: 'big.bin', content_type: 'application/octet-stream' },
      new Blob([big]),
      alice,
    );
    expect(r.status).to.equal(201);
    expect(await r.json()).to.include({ size_bytes: big.length, hash_sha256: sha(big) });
    const raw = await content('/files/big/blobs/big.bin/content', alice);
    expect(raw.bytes.length).to.equal(big.length);
    expect(sha(raw.bytes)).to.equal(sha(big));
    // the base64 JSON form is built in memory: a file this large is refused, pointing at /content
    const json = await t.api('/files/big/blobs/big.bin', { headers: alice });
    expect(json.status).to.equal(413);
    expect((await json.json()).detail).to.include('/content');
  });

  it('refuses a file over the collection limit with 413, and keeps nothing of it', async () => {
    expect(
      (
        await t.api('/api/v1/collections', {
          method: 'POST',
          json: { namespace: 'lim', name: 'small', max_file_size_mb: 1 },
        })
      ).status,
    ).to.equal(201);
    const tooBig = await multipart(
      'lim/small',
      { name: 'x.bin' },
      new Blob([Buffer.alloc(1024 * 1024 + 1)]),
      alice,
    );
    expect(tooBig.status).to.equal(413);
    const fits = await multipart(
      'lim/small',
      { name: 'y.bin' },
      new Blob([Buffer.alloc(1024 * 1024)]),
      alice,
    );
    expect(fits.status).to.equal(201);
    const names = (
      (await (await t.api('/files/lim/small', { headers: alice })).json()) as { name: string }[]
    ).map((f) => f.name);
    expect(names).to.deep.equal(['y.bin']);
  });

  it('validates metadata against the collection schema, naming file_metadata', async () => {
    const schema = { type: 'object', required: ['author'], properties: { author: { type: 'string' } } };
    expect(
      (
        await t.api('/api/v1/collections', {
          method: 'POST',
          json: { namespace: 'meta', name: 'c', metadata_schema: schema },
        })
      ).status,
    ).to.equal(201);
    const bad = await upload(
      'meta/c',
      { name: 'a.txt', content_base64: b64(Buffer.from('a')), file_metadata: { x: 1 } },
      alice,
    );
    expect(bad.status).to.equal(400);
    expect((await bad.json()).field).to.equal('file_metadata');
    const ok = await upload(
      'meta/c',
      { name: 'a.txt', content_base64: b64(Buffer.from('a')), file_metadata: { author: 'al' } },
      alice,
    );
    expect(ok.status).to.equal(201);
    const badBase64 = await upload(
      'meta/c',
      { name: 'b.txt', content_base64: 'not base64!', file_metadata: { author: 'al' } },
      alice,
    );
    expect(badBase64.status).to.equal(400);
    expect((await badBase64.json()).field).to.equal('content_base64');
  });

  it('adds versions with their SHA-256, reads an earlier one, and renames a clash without update_existing', async () => {
    const v1 = Buffer.from('one'),
      v2 = Buffer.from('two');
    expect(
      (await upload('ver/c', { name: 'n.txt', content_base64: b64(v1), content_type: 'text/plain' }, alice))
        .status,
    ).to.equal(201);
    const second = await upload(
      'ver/c',
      { name: 'n.txt', content_base64: b64(v2), content_type: 'text/plain', update_existing: true },
      alice,
    );
    expect(second.status).to.equal(200);
    expect((await second.json()).current_version).to.equal(2);
    const list = (await (await t.api('/files/ver/c', { headers: alice })).json()) as {
      name: string;
      versions: { version_number: number; hash_sha256: string }[];
    }[];
    expect(list[0]!.versions.map((v) => [v.version_number, v.hash_sha256])).to.deep.equal([
      [1, sha(v1)],
      [2, sha(v2)],
    ]);
    const old = await (await t.api('/files/ver/c/n.txt?version=1', { headers: alice })).json();
    expect(Buffer.from(old.content_base64, 'base64').toString()).to.equal('one');
    const clash = await (await upload('ver/c', { name: 'n.txt', content_base64: b64(v1) }, alice)).json();
    expect(clash.name).to.match(/^n_[0-9a-f]{8}\.txt$/);
  });

  it('keeps one file per name when uploads of one new name race (versions, or suffixed names)', async () => {
    const race = (name: string, updateExisting: boolean) =>
      Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          upload(
            'race/c',
            { name, content_base64: b64(Buffer.from(`v${i}`)), update_existing: updateExisting },
            alice,
          ),
        ),
      );
    expect((await race('same.txt', true)).map((r) => r.status).sort()).to.deep.equal([
      200, 200, 200, 200, 200, 200, 200, 201,
    ]);
    expect((await race('many.txt', false)).every((r) => r.status === 201)).to.equal(true);
    const files = (await (await t.api('/files/race/c', { headers: alice })).json()) as {
      name: string;
      current_version: number;
    }[];
    const same = files.filter((f) => f.name === 'same.txt');
    expect(same.map((f) => f.current_version)).to.deep.equal([8]);
    const many = files.filter((f) => f.name.startsWith('many'));
    expect(new Set(many.map((f) => f.name)).size).to.equal(8);
  });

  it('answers If-None-Match with 304, and serves a signed link until it expires or is altered', async () => {
    await upload(
      'link/c',
      { name: 'l.txt', content_base64: b64(Buffer.from('linked')), content_type: 'text/plain' },
      alice,
    );
    const first = await content('/files/link/c/l.txt/content', alice);
    expect(
      (await content('/files/link/c/l.txt/content', { ...alice, 'if-none-match': first.etag! })).status,
    ).to.equal(304);
    const signed = await (
      await t.api('/files/link/c/l.txt/url?expires_in=5', { method: 'POST', headers: alice })
    ).json();
    expect(signed.expires_in).to.equal(60); // clamped
    const path = new URL(signed.url).pathname;
    const served = await fetch(`${t.url}${path}`);
    expect(served.status).to.equal(200);
    expect(served.headers.get('cache-control')).to.equal('private, max-age=300, immutable');
    expect(await served.text()).to.equal('linked');
    expect(
      (await fetch(`${t.url}${path}`, { headers: { 'if-none-match': served.headers.get('etag')! } })).status,
    ).to.equal(304);
    const tampered = path.slice(0, -3) + (path.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(`${t.url}${tampered}`)).status).to.equal(404);
    // a link signed an hour ago for 60 s, with the platform's own key
    const file = (await (await t.api('/files/link/c', { headers: alice })).json())[0];
    const stale = await new FileUrls(TEST_JWT_SECRET, t.url).sign(
      { fileId: file.id, version: 1 },
      60,
      Date.now() - 3_600_000,
    );
    expect((await fetch(`${t.url}${new URL(stale.url).pathname}`)).status).to.equal(404);
    const fresh = await new FileUrls(TEST_JWT_SECRET, t.url).sign({ fileId: file.id, version: 1 }, 60);
    expect((await fetch(`${t.url}${new URL(fresh.url).pathname}`)).status).to.equal(200);
  });

  it("keeps one user's private files from another, shares shared ones, and prefers the caller's own name", async () => {
    await upload('two/c', { name: 'mine.txt', content_base64: b64(Buffer.from('alice private')) }, alice);
    await upload(
      'two/c',
      { name: 'ours.txt', content_base64: b64(Buffer.from('alice shared')), visibility: 'shared' },
      alice,
    );
    expect((await t.api('/files/two/c/mine.txt', { headers: bob })).status).to.equal(404);
    const bobSees = (
      (await (await t.api('/files/two/c', { headers: bob })).json()) as { name: string }[]
    ).map((f) => f.name);
    expect(bobSees).to.deep.equal(['ours.txt']);
    const shared = await (await t.api('/files/two/c/ours.txt', { headers: bob })).json();
    expect(Buffer.from(shared.content_base64, 'base64').toString()).to.equal('alice shared');
    expect((await t.api('/files/two/c/ours.txt', { method: 'DELETE', headers: bob })).status).to.equal(403);
    expect(
      (await upload('two/c', { name: 'mine.txt', content_base64: b64(Buffer.from('bob private')) }, bob))
        .status,
    ).to.equal(201);
    const bobs = await (await t.api('/files/two/c/mine.txt', { headers: bob })).json();
    expect(Buffer.from(bobs.content_base64, 'base64').toString()).to.equal('bob private');
    const alices = await (await t.api('/files/two/c/mine.txt', { headers: alice })).json();
    expect(Buffer.from(alices.content_base64, 'base64').toString()).to.equal('alice private');
    expect((await t.api('/files/two/c/mine.txt', { method: 'DELETE', headers: alice })).status).to.equal(204);
    expect((await t.api('/files/two/c/mine.txt', { headers: alice })).status).to.equal(404);
  });

  it('serves shared files of public collections only', async () => {
    expect(
      (
        await t.api('/api/v1/collections', {
          method: 'POST',
          json: { namespace: 'pub', name: 'open', is_public: true },
        })
      ).status,
    ).to.equal(201);
    await upload(
      'pub/open',
      { name: 's.txt', content_base64: b64(Buffer.from('hi')), visibility: 'shared' },
      alice,
    );
    await upload('pub/open', { name: 'p.txt', content_base64: b64(Buffer.from('no')) }, alice);
    await upload(
      'pub/closed',
      { name: 's.txt', content_base64: b64(Buffer.from('no')), visibility: 'shared' },
      alice,
    );
    expect(await (await fetch(`${t.url}/files/public/pub/open/s.txt`)).text()).to.equal('hi');
    expect((await fetch(`${t.url}/files/public/pub/open/p.txt`)).status).to.equal(404);
    expect((await fetch(`${t.url}/files/public/pub/closed/s.txt`)).status).to.equal(404);
    expect((await fetch(`${t.url}/files/public/pub/none/s.txt`)).status).to.equal(404);
  });

  it('searches by metadata and regex; a catastrophic pattern still answers, a bad one is a 400', async () => {
    await upload(
      'find/c',
      {
        name: 'a.txt',
        content_base64: b64(Buffer.from('alpha\nbeta\ngamma\n')),
        content_type: 'text/plain',
        file_metadata: { kind: 'greek' },
      },
      alice,
    );
    await upload(
      'find/c',
      {
        name: 'evil.txt',
        content_base64: b64(Buffer.from('a'.repeat(100_000) + 'b')),
        content_type: 'text/plain',
      },
      alice,
    );
    const hits = await (
      await t.api('/files/find/c/search', { method: 'POST', headers: alice, json: { query: 'BETA' } })
    ).json();
    expect(hits).to.have.length(1);
    expect(hits[0].matches[0]).to.deep.equal({ line: 2, text: 'beta', context: ['alpha', 'gamma', ''] });
    const byMeta = await (
      await t.api('/files/find/c/search', {
        method: 'POST',
        headers: alice,
        json: { metadata_filter: { kind: 'greek' } },
      })
    ).json();
    expect(byMeta.map((h: { filename: string }) => h.filename)).to.deep.equal(['a.txt']);
    const evil = await t.api('/files/find/c/search', {
      method: 'POST',
      headers: alice,
      json: { query: '(a+)+$' },
    });
    expect(evil.status).to.equal(200);
    // lines of a.txt ending in `a` match; the 100k `a`s followed by `b` do not (and do not hang)
    expect((await evil.json()).map((h: { filename: string }) => h.filename)).to.deep.equal(['a.txt']);
    const bad = await t.api('/files/find/c/search', {
      method: 'POST',
      headers: alice,
      json: { query: '(unclosed' },
    });
    expect(bad.status).to.equal(400);
    expect((await bad.json()).field).to.equal('query');
  });
  it("runs the collection's post_upload_function after an upload, with the file's details", async () => {
    const code =
      'def handler(input_data, context):\n    return {"seen": input_data["file_id"], "v": input_data["version"]}\n';
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'hooks', name: 'on_upload', code, input_schema: { type: 'object' } },
    });
    expect(fn.status).to.equal(201);
    const coll = { namespace: 'hooked', name: 'c', post_upload_function: 'hooks/on_upload' };
    expect((await t.api('/api/v1/collections', { method: 'POST', json: coll })).status).to.equal(201);
    const up = await upload('hooked/c', { name: 'h.txt', content_base64: b64(Buffer.from('x')) });
    expect(up.status).to.equal(201);
    const fileId = (await up.json()).id as string;
    const read = async () =>
      (
        await t.platform.services.pool.query(
          "SELECT status, input_data, output_data FROM executions WHERE trigger_id = 'post_upload:hooked/c'",
        )
      ).rows[0];
    await until('the post-upload execution to complete', async () => (await read())?.status === 'COMPLETED');
    const row = await read();
    expect(row.input_data).to.deep.include({
      file_id: fileId,
      namespace: 'hooked',
      collection: 'c',
      filename: 'h.txt',
      version: 1,
      file_path: `hooked/c/${fileId}/v1`,
    });
    expect(row.output_data).to.deep.equal({ seen: fileId, v: 1 });
  });
  it('takes collections from a declarative config (spec.collections, camelCase fields)', async () => {
    const yaml = [
      'apiVersion: sinas.co/v1',
      'kind: SinasConfig',
      'metadata: { name: files }',
      'spec:',
      '  collections:',
      '    - { namespace: cfg, name: docs, maxFileSizeMb: 2, isPublic: true, metadataSchema: { type: object } }',
      '',
    ].join('\n');
    const r = await t.api('/api/v1/config/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });
    expect(r.status, await r.clone().text()).to.equal(200);
    const got = await (await t.api('/api/v1/collections/cfg/docs')).json();
    expect(got).to.deep.include({ max_file_size_mb: 2, is_public: true, max_total_size_gb: 10 });
    const exported = await (await t.api('/api/v1/config/export')).text();
    expect(exported).to.include('maxFileSizeMb: 2');
  });
});
