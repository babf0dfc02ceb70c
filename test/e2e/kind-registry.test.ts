/**
 * One registration is the whole of adding a kind: a test-only `TestNote` kind, registered beside the
 * platform's kinds through the same `KindRegistration` a real kind uses and wired nowhere else, is
 * served end to end by a started platform: its routes over HTTP, its OpenAPI paths, its read-model
 * table, its config apply/export section and its service. (Its authorisation-matrix rows are derived
 * by the matrix from the same registration: test/e2e/authorization-matrix.test.ts.)
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import { KINDS_AND_TEST_NOTE, testNoteKind } from '../support/test-kind.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('the kind registry: a test-only kind from one registration', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  const json = (method: string, body: unknown) => ({ method, json: body });

  before(async () => {
    t = await startTestPlatform({}, { kinds: KINDS_AND_TEST_NOTE });
  });
  after(async () => {
    await t?.stop();
  });

  it('serves create, get, list, update, versions and delete over HTTP', async () => {
    const created = await t.api(
      '/api/v1/test-notes',
      json('POST', { namespace: 'kr', name: 'first', text: 'hi' }),
    );
    expect(created.status, await created.clone().text()).to.equal(201);
    expect(await created.json()).to.include({ namespace: 'kr', name: 'first', text: 'hi', version: 1 });

    const got = await (await t.api('/api/v1/test-notes/kr/first')).json();
    expect(got).to.include({ text: 'hi', pinned: false, version: 1 });
    const list = await (await t.api('/api/v1/test-notes?namespace=kr')).json();
    expect(list.map((n: { name: string }) => n.name)).to.deep.equal(['first']);

    const updated = await t.api(
      '/api/v1/test-notes/kr/first',
      json('PATCH', { text: 'changed', pinned: true }),
    );
    expect(updated.status, await updated.clone().text()).to.equal(200);
    expect(await updated.json()).to.include({ text: 'changed', pinned: true, version: 2 });
    const versions = await (await t.api('/api/v1/test-notes/kr/first/versions')).json();
    expect(versions.map((v: { version: number }) => v.version)).to.have.members([1, 2]);
    expect(await (await t.api('/api/v1/test-notes/kr/first?version=1')).json()).to.include({ text: 'hi' });

    const bad = await t.api('/api/v1/test-notes', json('POST', { namespace: 'kr', name: 'Bad Name' }));
    expect(bad.status).to.equal(400);
    expect((await bad.json()).field).to.equal('name');

    expect((await t.api('/api/v1/test-notes/kr/first', { method: 'DELETE' })).status).to.be.within(200, 299);
    expect((await t.api('/api/v1/test-notes/kr/first')).status).to.equal(404);
  });

  it('documents its routes in OpenAPI', async () => {
    const doc = await (await t.api('/api/openapi.json')).json();
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/test-notes'));
    expect(paths).to.have.members([
      '/api/v1/test-notes',
      '/api/v1/test-notes/{namespace}/{name}',
      '/api/v1/test-notes/{namespace}/{name}/versions',
    ]);
    const create = doc.paths['/api/v1/test-notes'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.properties).to.have.keys('namespace', 'name', 'text', 'pinned');
  });

  it('keeps its read model in its own table', async () => {
    await t.api('/api/v1/test-notes', json('POST', { namespace: 'kr', name: 'table', text: 'row' }));
    const { rows } = await t.platform.services.pool.query(
      `SELECT namespace, name, spec FROM ${testNoteKind.table} WHERE name = 'table'`,
    );
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ namespace: 'kr', name: 'table' });
    expect(rows[0].spec).to.include({ text: 'row' });
    expect(t.platform.services.kinds.testNotes?.kind).to.equal(testNoteKind);
  });

  it('has a config section: apply creates its items, export shows them and applies back unchanged', async () => {
    const yaml = `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: notes }
spec:
  testNotes:
    - { namespace: cfg, name: fromconfig, text: written by config, pinned: true }
`;
    const apply = (body: string) =>
      t.api('/api/v1/config/apply', {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body,
      });
    const r = await (await apply(yaml)).json();
    expect(r.success, JSON.stringify(r)).to.equal(true);
    expect(r.summary.created).to.deep.equal({ testNote: 1 });
    const note = await (await t.api('/api/v1/test-notes/cfg/fromconfig')).json();
    expect(note).to.include({ text: 'written by config', pinned: true });

    const exported = await (await t.api('/api/v1/config/export')).text();
    const items = parse(exported).spec.testNotes as Record<string, unknown>[];
    expect(items).to.deep.include({
      namespace: 'cfg',
      name: 'fromconfig',
      text: 'written by config',
      pinned: true,
    });
    const again = await (await apply(exported)).json();
    expect(again.success, JSON.stringify(again)).to.equal(true);
    expect(again.changes.filter((c: { action: string }) => c.action !== 'unchanged')).to.deep.equal([]);
  });
});
