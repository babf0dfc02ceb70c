/**
 * How a connector operation call becomes a request, without a network: the path rendered with
 * URL-encoded arguments, path arguments kept out of the body and query, the four body mappings, the
 * credentials of each auth type, the backoff schedule, and the URL recorded without an API key.
 */
import { expect } from 'chai';
import { credentials } from '../../src/runtime/connectors/connector-auth.js';
import { backoffSeconds, redacted } from '../../src/runtime/connectors/connector-client.js';
import { buildRequest, pathVariables } from '../../src/runtime/connectors/connector-request.js';
import type {
  BodyMapping,
  ConnectorOperation,
  ConnectorSpec,
} from '../../src/runtime/connectors/connector-spec.js';

const connector = (over: Partial<ConnectorSpec> = {}): ConnectorSpec => ({
  namespace: 'ns',
  name: 'api',
  base_url: 'https://api.example.com/v1/',
  auth: { type: 'none' },
  headers: { 'x-static': 's' },
  retry: { max_attempts: 1, backoff: 'none' },
  timeout_seconds: 30,
  operations: [],
  ...over,
});
const op = (mapping: BodyMapping, method: ConnectorOperation['method'] = 'POST'): ConnectorOperation => ({
  name: 'op',
  method,
  path: '/items/{{ id }}/notes',
  parameters: { type: 'object', properties: {} },
  request_body_mapping: mapping,
  response_mapping: 'json',
});

describe('connector requests', () => {
  it('renders the path with URL-encoded arguments and leaves them out of the body', () => {
    const r = buildRequest(connector(), op('path_and_json'), { id: "a/b c'd", text: 'hi' });
    expect(r.url.toString()).to.equal('https://api.example.com/v1/items/a%2Fb%20c%27d/notes');
    expect(JSON.parse(r.body!)).to.deep.equal({ text: 'hi' });
    expect(r.headers).to.deep.equal({ 'x-static': 's', 'content-type': 'application/json' });
  });

  it('sends the rest as the query string for query and path_and_query', () => {
    for (const m of ['query', 'path_and_query'] as const) {
      const r = buildRequest(connector(), op(m, 'GET'), { id: 7, q: 'x y', tags: ['a', 'b'], skip: null });
      expect(r.url.toString()).to.equal('https://api.example.com/v1/items/7/notes?q=x+y&tags=a&tags=b');
      expect(r.body).to.equal(undefined);
    }
  });

  it('sends the rest as a JSON body for json, and no body for a GET without arguments', () => {
    expect(JSON.parse(buildRequest(connector(), op('json'), { id: 1, a: { b: 2 } }).body!)).to.deep.equal({
      a: { b: 2 },
    });
    expect(buildRequest(connector(), op('json', 'GET'), { id: 1 }).body).to.equal(undefined);
    expect(buildRequest(connector(), op('json', 'POST'), { id: 1 }).body).to.equal('{}');
  });

  it('refuses a call whose path argument is missing (400 naming parameters)', () => {
    expect(() => buildRequest(connector(), op('json'), {}))
      .to.throw()
      .with.property('field', 'parameters');
  });

  it('finds the variables a path names', () => {
    expect([...pathVariables('/a/{{ id }}/{{owner|lower}}/{% if x %}y{% endif %}')]).to.include.members([
      'id',
      'owner',
      'x',
    ]);
  });

  it('makes the credentials of each auth type from the secret', async () => {
    const ports = { secret: async () => 'user:pw', token: async (u: string) => `tok-${u}` };
    const c = (auth: ConnectorSpec['auth']) => credentials(auth, 'u1', ports);
    expect((await c({ type: 'bearer', secret: 'S' })).headers).to.deep.equal({
      authorization: 'Bearer user:pw',
    });
    expect((await c({ type: 'basic', secret: 'S' })).headers).to.deep.equal({
      authorization: `Basic ${Buffer.from('user:pw').toString('base64')}`,
    });
    expect((await c({ type: 'api_key', secret: 'S' })).headers).to.deep.equal({ 'X-Api-Key': 'user:pw' });
    expect((await c({ type: 'api_key', secret: 'S', header: 'X-Key' })).headers).to.deep.equal({
      'X-Key': 'user:pw',
    });
    expect(await c({ type: 'api_key', secret: 'S', position: 'query' })).to.deep.equal({
      headers: {},
      query: { api_key: 'user:pw' },
    });
    expect(
      (await c({ type: 'api_key', secret: 'S', position: 'query', param_name: 'key' })).query,
    ).to.deep.equal({ key: 'user:pw' });
    expect((await c({ type: 'sinas_token' })).headers).to.deep.equal({ authorization: 'Bearer tok-u1' });
    expect(await c({ type: 'none' })).to.deep.equal({ headers: {}, query: {} });
    const missing = { secret: async () => undefined, token: ports.token };
    expect(await credentials({ type: 'bearer', secret: 'S' }, 'u1', missing)).to.deep.equal({
      headers: {},
      query: {},
    });
  });

  it('waits by the connector backoff, capped at 30 s', () => {
    expect([0, 1, 2, 3].map((a) => backoffSeconds('exponential', a))).to.deep.equal([0.5, 1, 2, 4]);
    expect(backoffSeconds('exponential', 10)).to.equal(30);
    expect([0, 1, 2].map((a) => backoffSeconds('linear', a))).to.deep.equal([1, 2, 3]);
    expect(backoffSeconds('linear', 50)).to.equal(30);
    expect(backoffSeconds('none', 3)).to.equal(0);
  });

  it('records the URL with the API key query value redacted', () => {
    const u = new URL('https://x.example/a?api_key=SECRET&q=1');
    expect(redacted(u, 'api_key')).to.equal('https://x.example/a?api_key=REDACTED&q=1');
    expect(redacted(u, undefined)).to.include('SECRET');
  });
});
