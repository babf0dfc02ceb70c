/**
 * OpenAPI import by the conversion rules of reference §5.2, on documents shaped like real ones
 * (test/fixtures/openapi/): a 3.0 YAML petstore and a 3.1 JSON tracker with shared parameters, a
 * reference cycle, header/query/path parameters and a vendor JSON media type. 2.x is refused.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  convertDocument,
  mergeOperations,
  nameOf,
  readDocument,
} from '../../src/runtime/connectors/openapi-import.js';
import type { ConnectorOperation } from '../../src/runtime/connectors/connector-spec.js';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/openapi/${f}`, import.meta.url), 'utf8');
const parse = (f: string, url?: string) =>
  convertDocument(readDocument(fixture(f), 'spec'), url ? new URL(url) : undefined, 'spec');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const props = (o: ConnectorOperation | undefined): any => (o!.parameters as any).properties;

describe('OpenAPI import', () => {
  it('converts a 3.0 YAML petstore: names, paths, mappings, body properties, methods it calls', async () => {
    const r = await parse('petstore-3.0.yaml');
    expect(r.spec_title).to.equal('Swagger Petstore - OpenAPI 3.0');
    expect(r.spec_base_url).to.equal('https://petstore3.swagger.io/api/v3');
    const byName = new Map(r.operations.map((o) => [o.name, o]));
    expect([...byName.keys()].sort()).to.deep.equal([
      'addpet',
      'deletepet',
      'findpetsbystatus',
      'get_store_order_by_orderid',
      'getpetbyid',
      'updatepet',
      'updatepetwithform',
    ]);
    const get = byName.get('getpetbyid')!;
    expect(get).to.include({ method: 'GET', path: '/pet/{{ petId }}', request_body_mapping: 'json' });
    expect(get.parameters).to.deep.equal({
      type: 'object',
      properties: { petId: { type: 'integer', format: 'int64', description: 'ID of pet' } },
      required: ['petId'],
    });
    expect(byName.get('findpetsbystatus')!.request_body_mapping).to.equal('query');
    expect(byName.get('updatepetwithform')!.request_body_mapping).to.equal('path_and_json');
    const add = byName.get('addpet')!;
    expect(add.request_body_mapping).to.equal('json');
    expect((add.parameters as { required: string[] }).required).to.deep.equal(['name', 'photoUrls']);
    // only the kept keywords: `example` and `xml` are gone, refs resolved
    expect(props(add).category).to.deep.equal({
      type: 'object',
      properties: { id: { type: 'integer', format: 'int64' }, name: { type: 'string' } },
    });
    expect(byName.get('get_store_order_by_orderid')!.description).to.match(/^For valid response/);
    expect(add.response_mapping).to.equal('json');
  });

  it('converts a 3.1 JSON document: shared parameters, a cycle as a placeholder, cut descriptions', async () => {
    const r = await parse('tracker-3.1.json');
    const byName = new Map(r.operations.map((o) => [o.name, o]));
    const list = byName.get('issues_list_for_repo')!;
    expect(list.request_body_mapping).to.equal('path_and_query');
    expect(Object.keys(props(list))).to.deep.equal([
      'owner',
      'repo',
      'state',
      'per_page',
      'page',
      'X-Api-Version',
    ]);
    expect(props(list)['X-Api-Version'].description).to.have.length(200);
    const create = byName.get('issues_create')!;
    expect(create.request_body_mapping).to.equal('path_and_json');
    expect((create.parameters as { required: string[] }).required).to.deep.equal(['owner', 'repo', 'title']);
    expect(props(create).thread.properties.replies.items).to.deep.equal({
      type: 'object',
      description: '(circular reference)',
    });
    expect(props(create).body).to.deep.equal({ type: ['string', 'null'] });
    // a vendor JSON media type is a JSON body
    expect(Object.keys(props(byName.get('issues_update')))).to.include('state');
    expect(byName.get('delete_repos_by_owner_by_repo_issues_by_issue_number')!.description).to.equal(
      'Delete an issue',
    );
    expect(byName.get('search_issuesandpullrequests')!.request_body_mapping).to.equal('query');
    expect(byName.get('get_meta')!.description).to.equal('GET /meta');
    expect(JSON.stringify(r.operations)).to.not.include('$ref');
  });

  it('takes the base URL from spec_url when the document names no server', async () => {
    const doc = readDocument('{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{}}', 'spec');
    const r = await convertDocument(
      doc,
      new URL('https://api.example.com:8443/docs/openapi.json'),
      'spec_url',
    );
    expect(r.spec_base_url).to.equal('https://api.example.com:8443');
  });

  it('refuses Swagger 2.0 and what is not OpenAPI, naming the field', () => {
    expect(() => readDocument(fixture('swagger-2.0.json'), 'spec'))
      .to.throw(/OpenAPI 3/)
      .with.property('field', 'spec');
    expect(() => readDocument('just: [text', 'spec'))
      .to.throw()
      .with.property('field', 'spec');
    expect(() => readDocument('{"info":{}}', 'spec_url'))
      .to.throw()
      .with.property('field', 'spec_url');
  });

  it('skips an operation that would not validate, with a warning', async () => {
    const doc = readDocument(
      JSON.stringify({
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        paths: { '/x': { get: { operationId: '123', responses: {} }, post: { responses: {} } } },
      }),
      'spec',
    );
    const r = await convertDocument(doc, undefined, 'spec');
    expect(r.operations.map((o) => o.name)).to.deep.equal(['post_x']);
    expect(r.warnings).to.have.length(1);
    expect(r.warnings[0]).to.match(/GET \/x: skipped/);
  });

  it('names operations without an operationId from method and path', () => {
    expect(nameOf({}, 'get', '/users/{id}/repos')).to.equal('get_users_by_id_repos');
    expect(nameOf({ operationId: 'repos/get-by.ID' }, 'get', '/')).to.equal('repos_get_by_id');
  });

  it('merges: the same name replaced in place, new ones appended, hand-written ones kept', () => {
    const o = (name: string, path: string) =>
      ({
        name,
        path,
        method: 'GET',
        parameters: {},
        request_body_mapping: 'json',
        response_mapping: 'json',
      }) as ConnectorOperation;
    const merged = mergeOperations(
      [o('mine', '/m'), o('shared', '/old')],
      [o('shared', '/new'), o('added', '/a')],
    );
    expect(merged.map((m) => `${m.name}:${m.path}`)).to.deep.equal(['mine:/m', 'shared:/new', 'added:/a']);
  });
});
