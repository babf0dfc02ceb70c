/**
 * A collection's content_filter_function (reference §5.8), run for real as a Python function in the
 * platform's Docker sandbox: it approves (its metadata merged, its modified_content stored in place
 * of the upload's bytes), refuses (400 with its reason, nothing kept) or fails (502 naming it,
 * nothing kept). Its input carries the bytes as base64 only up to 48 KiB; every input carries a
 * signed link to the pending bytes, which stops serving once a refused upload's bytes are gone.
 * The filter runs as the uploader: another user's upload into a public collection whose filter is
 * its owner's private function is a 403 with nothing run or kept.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { skipLoudly } from '../support/skip.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const FILTER = `
import base64

def handler(input_data, context):
    if input_data["size_bytes"] > 100000:
        return {"approved": False, "reason": "too big for this filter"}
    raw = input_data.get("content_base64")
    if raw is None:
        return {"approved": True, "metadata": {"inline": False}}
    text = base64.b64decode(raw).decode("utf-8")
    if "forbidden" in text:
        return {"approved": False, "reason": "the word 'forbidden' is not allowed"}
    if "crash" in text:
        raise RuntimeError("filter crashed")
    if "shape" in text:
        return {"ok": True}
    upper = base64.b64encode(text.upper().encode("utf-8")).decode("ascii")
    return {"approved": True, "modified_content": upper, "metadata": {"scanned": True, "a": "from-filter"}}
`;

describe('collections: content_filter_function (reference §5.8)', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let alice: Record<string, string>;

  before(async function () {
    t = await startTestPlatform();
    const sandbox = t.platform.services.functionRunner?.health().sandbox;
    if (sandbox !== 'docker')
      skipLoudly(this, 'docker', `the platform's function runner is ${String(sandbox)}`);
    alice = { 'x-api-key': await userKey(t, 'filter-alice') };
    // alice's own function: she may run it
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'filters', name: 'scan', code: FILTER, input_schema: { type: 'object' } },
      headers: alice,
    });
    expect(fn.status).to.equal(201);
    const coll = { namespace: 'filtered', name: 'docs', content_filter_function: 'filters/scan' };
    expect((await t.api('/api/v1/collections', { method: 'POST', json: coll })).status).to.equal(201);
  });
  after(async () => t?.stop());

  const upload = (name: string, text: string, extra: Record<string, unknown> = {}) =>
    t.api('/files/filtered/docs', {
      method: 'POST',
      json: {
        name,
        content_base64: Buffer.from(text).toString('base64'),
        content_type: 'text/plain',
        ...extra,
      },
      headers: alice,
    });
  /** the filter run's input, once the executions read model has caught up with the upload's run */
  const inputOf = async (filename: string) => {
    await executionsCaughtUp(t);
    return (
      await t.platform.services.pool.query(
        `SELECT input_data FROM executions WHERE trigger_id = 'content_filter:filtered/docs'
           AND input_data->>'filename' = $1`,
        [filename],
      )
    ).rows[0]?.input_data as Record<string, unknown>;
  };
  const names = async () =>
    ((await (await t.api('/files/filtered/docs', { headers: alice })).json()) as { name: string }[]).map(
      (f) => f.name,
    );
  const blobRows = async () =>
    Number((await t.platform.services.pool.query('SELECT count(*) AS n FROM file_blobs')).rows[0].n);

  it('stores what an approving filter returned: modified_content replaces the bytes, its metadata is merged', async () => {
    const r = await upload('a.txt', 'hello filter', { file_metadata: { a: 'mine', b: 'kept' } });
    expect(r.status).to.equal(201);
    const f = await r.json();
    expect(f.hash_sha256).to.equal(sha(Buffer.from('HELLO FILTER')));
    expect(f.file_metadata).to.deep.equal({ a: 'from-filter', b: 'kept', scanned: true });
    const got = await (await t.api('/files/filtered/docs/a.txt', { headers: alice })).json();
    expect(Buffer.from(got.content_base64, 'base64').toString()).to.equal('HELLO FILTER');
    const input = await inputOf('a.txt');
    expect(input).to.deep.include({
      content_base64: Buffer.from('hello filter').toString('base64'),
      namespace: 'filtered',
      collection: 'docs',
      filename: 'a.txt',
      content_type: 'text/plain',
      size_bytes: 12,
      user_metadata: { a: 'mine', b: 'kept' },
    });
    expect(input.user_id).to.be.a('string').and.not.equal('');
  });

  it('refuses with 400 and the reason when the filter does not approve, keeping nothing', async () => {
    const before = await blobRows();
    const r = await upload('bad.txt', 'this is forbidden text');
    expect(r.status).to.equal(400);
    const problem = await r.json();
    expect(problem.detail).to.equal("the word 'forbidden' is not allowed");
    expect(await names()).to.not.include('bad.txt');
    expect(await blobRows()).to.equal(before);
  });

  it('answers 502 naming the function when it fails or answers in another shape, keeping nothing', async () => {
    const before = await blobRows();
    for (const [name, text] of [
      ['crash.txt', 'please crash'],
      ['shape.txt', 'wrong shape'],
    ]) {
      const r = await upload(name!, text!);
      expect(r.status, name).to.equal(502);
      expect((await r.json()).detail, name).to.contain("'filters/scan'");
    }
    expect(await names()).to.not.include.members(['crash.txt', 'shape.txt']);
    expect(await blobRows()).to.equal(before);
  });

  it('refuses with 403 naming the function an uploader who may not run it, keeping nothing', async () => {
    // the administrator's function: a plain user may not run it
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'filters', name: 'admins', code: FILTER, input_schema: { type: 'object' } },
    });
    expect(fn.status).to.equal(201);
    const coll = { namespace: 'filtered', name: 'locked', content_filter_function: 'filters/admins' };
    expect((await t.api('/api/v1/collections', { method: 'POST', json: coll })).status).to.equal(201);
    const before = await blobRows();
    const r = await t.api('/files/filtered/locked', {
      method: 'POST',
      json: { name: 'x.txt', content_base64: Buffer.from('hello').toString('base64') },
      headers: alice,
    });
    expect(r.status).to.equal(403);
    expect((await r.json()).detail).to.contain("'filters/admins'");
    expect(await blobRows()).to.equal(before);
    expect(await (await t.api('/files/filtered/locked', { headers: alice })).json()).to.deep.equal([]);
  });

  it("another user's upload into a public, shared collection whose filter is its owner's private function: 403, no run", async () => {
    const bob = { 'x-api-key': await userKey(t, 'filter-bob') };
    // alice's collection, open to everyone's shared files, filtered by her own function
    const coll = {
      namespace: 'alice',
      name: 'inbox',
      is_public: true,
      allow_private_files: false,
      content_filter_function: 'filters/scan',
    };
    const created = await t.api('/api/v1/collections', { method: 'POST', json: coll, headers: alice });
    expect(created.status, await created.clone().text()).to.equal(201);
    // bob may not run alice's function directly...
    const direct = await t.api('/functions/filters/scan/execute', {
      method: 'POST',
      json: { input: { size_bytes: 1, content_base64: null } },
      headers: bob,
    });
    expect(direct.status).to.equal(403);
    // ...nor through an upload: the filter runs as the uploader, never as the collection's owner
    const before = await blobRows();
    const content = { content_base64: Buffer.from('hello').toString('base64'), visibility: 'shared' };
    const r = await t.api('/files/alice/inbox', {
      method: 'POST',
      json: { name: 'from-bob.txt', ...content },
      headers: bob,
    });
    expect(r.status).to.equal(403);
    expect((await r.json()).detail).to.contain("'filters/scan'");
    expect(await blobRows()).to.equal(before);
    await executionsCaughtUp(t); // so that a run of the filter would be counted
    const runs = await t.platform.services.pool.query(
      `SELECT count(*) AS n FROM executions WHERE trigger_id = 'content_filter:alice/inbox'`,
    );
    expect(Number(runs.rows[0].n)).to.equal(0);
    // the owner's own upload runs her filter as before
    const own = await t.api('/files/alice/inbox', {
      method: 'POST',
      json: { name: 'from-alice.txt', ...content },
      headers: alice,
    });
    expect(own.status).to.equal(201);
    expect((await own.json()).file_metadata).to.deep.include({ scanned: true });
    const listed = await (await t.api('/files/alice/inbox', { headers: bob })).json();
    expect(listed.map((f: { name: string }) => f.name)).to.deep.equal(['from-alice.txt']);
  });

  it('hands a larger file as a signed link, not as bytes in the execution; a refused one’s link serves nothing', async () => {
    const big = Buffer.alloc(60 * 1024, 'x');
    const ok = await upload('big.txt', big.toString());
    expect(ok.status).to.equal(201);
    expect((await ok.json()).file_metadata).to.deep.equal({ inline: false });
    const input = await inputOf('big.txt');
    expect(input.content_base64).to.equal(null);
    expect(JSON.stringify(input).length).to.be.below(4096);
    const link = new URL(input.content_url as string).pathname;
    const served = await t.api(link);
    expect(served.status).to.equal(200);
    expect(sha(Buffer.from(await served.arrayBuffer()))).to.equal(sha(big));

    const refused = await upload('huge.txt', Buffer.alloc(120 * 1024, 'y').toString());
    expect(refused.status).to.equal(400);
    expect((await refused.json()).detail).to.equal('too big for this filter');
    const gone = new URL((await inputOf('huge.txt')).content_url as string).pathname;
    expect((await t.api(gone)).status).to.equal(404);
  });
});
