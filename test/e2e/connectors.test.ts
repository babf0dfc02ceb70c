/**
 * Connectors end to end against a real HTTP server on 127.0.0.1 (allow-listed through the outbound
 * guard): the kind's save rules, each auth type as the server sees it (and the value nowhere in what
 * the call returns or records), retries on a dropped connection but never after a time-out, a
 * redirect to a refused address, the size cap, locked parameters that win over the model's, the four
 * body mappings, the test route, and OpenAPI parse/import (the platform's own document included).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { asChatId } from '../../src/events/ids.js';
import { connectorToolFamily } from '../../src/runtime/connectors/connector-runtime.js';
import type { ToolChat, ToolFamily, ToolOutcome } from '../../src/runtime/turns/tool-family.js';
import { startHttpPeer, type HttpPeer } from '../support/http-peer.js';
import { ensureUser, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

const SHARED_VALUE = 'shared-secret-value-7f3a';
const PRIVATE_VALUE = 'alice:private-pass-91c2';
const fixture = (f: string) => readFileSync(new URL(`../fixtures/openapi/${f}`, import.meta.url), 'utf8');

describe('connectors', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let peer: HttpPeer;
  let family: ToolFamily;
  let aliceKey: string;
  let aliceId: string;
  let dropped = 0;
  const n = () => Math.random().toString(36).slice(2, 8);

  before(async () => {
    peer = await startHttpPeer({
      '/drop-once': (_req, res) => {
        if (dropped++ === 0) return void res.socket?.destroy();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"second":true}');
      },
      '/hang': () => {}, // never answers
      '/to-metadata': (_req, res) =>
        void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
      '/to-private': (_req, res) => void res.writeHead(302, { location: 'http://10.0.0.7/admin' }).end(),
      '/to-echo': (_req, res) => void res.writeHead(302, { location: '/echo' }).end(),
      '/big': (_req, res) =>
        void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000)),
      '/text': (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words'),
      '/fail': (_req, res) => void res.writeHead(500, { 'content-type': 'application/json' }).end('{"e":1}'),
    });
    t = await startTestPlatform({ SINAS_OUTBOUND_ALLOWLIST: '127.0.0.1' });
    family = connectorToolFamily(t.platform.services, { backoffUnitMs: 1, maxResponseBytes: 4096 });
    aliceKey = await userKey(t, 'alice');
    aliceId = await ensureUser(t, 'alice@example.com');
    await ok(t.api('/api/v1/secrets', { method: 'POST', json: { name: 'API_SECRET', value: SHARED_VALUE } }));
    await ok(
      t.api('/api/v1/secrets', {
        method: 'POST',
        headers: { 'x-api-key': aliceKey },
        json: { name: 'PRIV_SECRET', value: PRIVATE_VALUE, visibility: 'private' },
      }),
    );
    // alice's private value of a name that also has a shared one wins for her
    await ok(
      t.api('/api/v1/secrets', { method: 'POST', json: { name: 'PRIV_SECRET', value: SHARED_VALUE } }),
    );
  });
  after(async () => {
    await t?.stop();
    await peer?.stop();
  });

  async function ok(r: Promise<Response>): Promise<Response> {
    const res = await r;
    if (res.status >= 300) throw new Error(`setup: ${res.url} ${res.status} ${await res.text()}`);
    return res;
  }

  /** creates a connector to the peer (as the admin) and returns its ns/name */
  async function connector(body: Record<string, unknown>): Promise<{ ns: string; name: string }> {
    const name = `c${n()}`;
    await ok(
      t.api('/api/v1/connectors', {
        method: 'POST',
        json: {
          namespace: 'it',
          name,
          base_url: `${peer.url}/`,
          operations: [{ name: 'echo', method: 'GET', path: '/echo' }],
          ...body,
        },
      }),
    );
    return { ns: 'it', name };
  }

  const chatOf = (enabled: unknown[], input: Record<string, unknown> = {}): ToolChat => ({
    chatId: asChatId('00000000-0000-4000-8000-000000000001'),
    userId: aliceId,
    input,
    agent: { namespace: 'it', name: 'agent' },
    agentSpec: { enabled_connectors: enabled },
  });

  /** offers the chat's tools and runs `op` of `c` with `args` the way the turn runner does */
  async function call(
    c: { ns: string; name: string },
    op: string,
    args: Record<string, unknown> = {},
    entry: Record<string, unknown> = {},
    input: Record<string, unknown> = {},
  ): Promise<ToolOutcome> {
    const chat = chatOf([{ connector: `${c.ns}/${c.name}`, ...entry }], input);
    const tools = await family.offer(chat);
    const tool = tools.find((x) => x.tool.function.name === `connector__${c.ns}__${c.name}__${op}`);
    if (!tool) throw new Error(`not offered: ${op}`);
    const merged = { ...args, ...tool.params?.locked };
    return family.run(
      { toolCallId: 'call_1', target: tool.target, arguments: merged, signal: new AbortController().signal },
      chat,
    );
  }

  describe('the kind', () => {
    it('fills the defaults of §5.2 and answers them', async () => {
      const res = await ok(
        t.api('/api/v1/connectors', {
          method: 'POST',
          json: {
            name: 'defaults',
            base_url: 'https://api.example.com',
            operations: [{ name: 'x', method: 'GET', path: '/x' }],
          },
        }),
      );
      expect(res.status).to.equal(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({
        namespace: 'default',
        name: 'defaults',
        timeout_seconds: 30,
        is_active: true,
      });
      expect(body.auth).to.deep.equal({ type: 'none', position: 'header' });
      expect(body.retry).to.deep.equal({ max_attempts: 1, backoff: 'none' });
      expect(body.headers).to.deep.equal({});
      expect(body.operations).to.deep.equal([
        {
          name: 'x',
          method: 'GET',
          path: '/x',
          description: null,
          parameters: { type: 'object', properties: {} },
          request_body_mapping: 'json',
          response_mapping: 'json',
        },
      ]);
    });

    it('refuses a bad connector with a 400 naming the field', async () => {
      const bad = async (json: Record<string, unknown>, field: string) => {
        const res = await t.api('/api/v1/connectors', {
          method: 'POST',
          json: { name: `b${n()}`, base_url: 'https://api.example.com', ...json },
        });
        expect(res.status, JSON.stringify(json)).to.equal(400);
        expect(((await res.json()) as { field: string }).field, JSON.stringify(json)).to.equal(field);
      };
      const op = { name: 'a', method: 'GET', path: '/a' };
      await bad({ operations: [op, { ...op, path: '/b' }] }, 'operations.1.name');
      await bad({ base_url: 'http://user:pw@api.example.com' }, 'base_url');
      await bad({ base_url: 'file:///etc/passwd' }, 'base_url');
      await bad({ timeout_seconds: 301 }, 'timeout_seconds');
      await bad({ retry: { max_attempts: 11 } }, 'retry.max_attempts');
      await bad({ operations: [{ ...op, method: 'TRACE' }] }, 'operations.0.method');
      await bad({ operations: [{ ...op, name: '1bad' }] }, 'operations.0.name');
      await bad({ operations: [{ ...op, parameters: { type: 'nonsense' } }] }, 'operations.0.parameters');
      await bad({ auth: { type: 'oauth' } }, 'auth.type');
      await bad({ name: 'has space' }, 'name');
    });
  });

  describe('calls', () => {
    it('sends each auth type as the server sees it, and the value is in no result or detail', async () => {
      const cases: [Record<string, unknown>, (s: (typeof peer.seen)[number]) => unknown, unknown][] = [
        [{ type: 'bearer', secret: 'API_SECRET' }, (s) => s.headers.authorization, `Bearer ${SHARED_VALUE}`],
        [
          { type: 'basic', secret: 'PRIV_SECRET' },
          (s) => s.headers.authorization,
          `Basic ${Buffer.from(PRIVATE_VALUE).toString('base64')}`,
        ],
        [{ type: 'api_key', secret: 'API_SECRET' }, (s) => s.headers['x-api-key'], SHARED_VALUE],
        [
          { type: 'api_key', secret: 'API_SECRET', header: 'X-Token' },
          (s) => s.headers['x-token'],
          SHARED_VALUE,
        ],
        [
          { type: 'api_key', secret: 'API_SECRET', position: 'query', param_name: 'key' },
          (s) => new URL(s.url, peer.url).searchParams.get('key'),
          SHARED_VALUE,
        ],
        [{ type: 'none' }, (s) => s.headers.authorization, undefined],
        [{ type: 'bearer', secret: 'NO_SUCH_SECRET' }, (s) => s.headers.authorization, undefined],
      ];
      for (const [auth, read, want] of cases) {
        const c = await connector({ auth, headers: { 'X-Static': 'static' } });
        const outcome = await call(c, 'echo');
        const seen = peer.to('/echo').at(-1)!;
        expect(read(seen), JSON.stringify(auth)).to.equal(want);
        expect(seen.headers['x-static']).to.equal('static');
        expect(outcome.status).to.equal('ok');
        const shown = JSON.stringify(outcome);
        expect(shown, JSON.stringify(auth)).to.not.include(SHARED_VALUE).and.not.include(PRIVATE_VALUE);
        expect(shown).to.not.include(Buffer.from(PRIVATE_VALUE).toString('base64'));
      }
      // the API key in the query string is recorded redacted
      const q = await connector({ auth: { type: 'api_key', secret: 'API_SECRET', position: 'query' } });
      const outcome = await call(q, 'echo');
      expect(outcome.detail!.url).to.equal(`${peer.url}/echo?api_key=REDACTED`);
      expect(outcome.detail).to.include({ method: 'GET', status: 200, body_bytes: 11 });
    });

    it('sends a freshly minted token of the chat user for sinas_token', async () => {
      const c = await connector({ auth: { type: 'sinas_token' } });
      await call(c, 'echo');
      const auth = peer.to('/echo').at(-1)!.headers.authorization!;
      expect(auth).to.match(/^Bearer /);
      const claims = await t.platform.services.accessTokens.verify(auth.slice('Bearer '.length));
      expect(claims.sub).to.equal(aliceId);
    });

    it('retries a dropped connection with the backoff, and gives up after max_attempts', async () => {
      const ops = [{ name: 'drop', method: 'GET', path: '/drop-once' }];
      dropped = 0;
      const once = await connector({ operations: ops, retry: { max_attempts: 1 } });
      const failed = await call(once, 'drop');
      expect(failed.status).to.equal('error');
      expect((failed.result as { error: string }).error).to.match(/socket hang up|ECONNRESET/);
      dropped = 0;
      const before = peer.to('/drop-once').length;
      const retrying = await connector({
        operations: ops,
        retry: { max_attempts: 3, backoff: 'exponential' },
      });
      const outcome = await call(retrying, 'drop');
      expect(outcome.status).to.equal('ok');
      expect(outcome.result).to.include({ status_code: 200 });
      expect((outcome.result as { body: unknown }).body).to.deep.equal({ second: true });
      expect(outcome.detail).to.include({ attempts: 2 });
      expect(peer.to('/drop-once').length - before).to.equal(2);
    });

    it('never retries a time-out', async () => {
      const c = await connector({
        operations: [{ name: 'hang', method: 'GET', path: '/hang' }],
        timeout_seconds: 1,
        retry: { max_attempts: 5, backoff: 'none' },
      });
      const outcome = await call(c, 'hang');
      expect(outcome.status).to.equal('error');
      expect((outcome.result as { error: string }).error).to.match(/timed out/);
      expect(peer.to('/hang')).to.have.length(1);
    });

    it('does not retry an HTTP error status: it is the answer', async () => {
      const c = await connector({
        operations: [{ name: 'fail', method: 'GET', path: '/fail' }],
        retry: { max_attempts: 5 },
      });
      const outcome = await call(c, 'fail');
      expect(outcome.status).to.equal('ok');
      expect(outcome.result).to.deep.include({ status_code: 500, body: { e: 1 } });
      expect(peer.to('/fail')).to.have.length(1);
    });

    it('follows a redirect the guard allows and refuses one to a metadata or private address', async () => {
      const c = await connector({
        operations: [
          { name: 'meta', method: 'GET', path: '/to-metadata' },
          { name: 'priv', method: 'GET', path: '/to-private' },
          { name: 'fine', method: 'GET', path: '/to-echo' },
        ],
        retry: { max_attempts: 3 },
      });
      for (const op of ['meta', 'priv']) {
        const outcome = await call(c, op);
        expect(outcome.status, op).to.equal('error');
        expect((outcome.result as { error: string }).error, op).to.match(/may not reach/);
      }
      expect(peer.to('/to-metadata')).to.have.length(1); // a refusal is not retried
      const fine = await call(c, 'fine');
      expect(fine.result).to.deep.include({ status_code: 200, body: { ok: true } });
    });

    it('refuses a response over the size cap', async () => {
      const c = await connector({ operations: [{ name: 'big', method: 'GET', path: '/big' }] });
      const outcome = await call(c, 'big');
      expect(outcome.status).to.equal('error');
      expect((outcome.result as { error: string }).error).to.match(/larger than 4096 bytes/);
    });

    it('maps arguments by each of the four body mappings, path arguments left out', async () => {
      const path = '/items/{{ id }}';
      const c = await connector({
        operations: [
          { name: 'j', method: 'POST', path, request_body_mapping: 'json' },
          { name: 'pj', method: 'PUT', path, request_body_mapping: 'path_and_json' },
          { name: 'q', method: 'GET', path, request_body_mapping: 'query' },
          {
            name: 'pq',
            method: 'DELETE',
            path,
            request_body_mapping: 'path_and_query',
            response_mapping: 'text',
          },
        ],
      });
      for (const op of ['j', 'pj', 'q', 'pq']) {
        const outcome = await call(c, op, { id: 'a b/c', color: 'red', n: 2 });
        expect(outcome.status, op).to.equal('ok');
        const seen = peer.seen.at(-1)!;
        expect(seen.url.split('?')[0], op).to.equal('/items/a%20b%2Fc');
        if (op === 'j' || op === 'pj') {
          expect(JSON.parse(seen.body), op).to.deep.equal({ color: 'red', n: 2 });
          expect(seen.headers['content-type']).to.equal('application/json');
        } else {
          expect(seen.url.split('?')[1], op).to.equal('color=red&n=2');
          expect(seen.body, op).to.equal('');
        }
      }
      // response_mapping text: the body as text even when it is JSON
      const text = await call(c, 'pq', { id: 'x' });
      expect((text.result as { body: unknown }).body).to.equal('{"ok":true}');
    });
  });

  describe('as tools', () => {
    it('offers the listed operations with the schema minus locked ones, and locked values win', async () => {
      const c = await connector({
        description: 'Team API',
        operations: [
          {
            name: 'list',
            method: 'GET',
            path: '/teams/{{ team }}/members',
            request_body_mapping: 'path_and_query',
            parameters: {
              type: 'object',
              properties: { team: { type: 'string' }, role: { type: 'string' }, limit: { type: 'integer' } },
              required: ['team', 'role'],
            },
          },
          { name: 'add', method: 'POST', path: '/teams', description: 'Add a team' },
          { name: 'hidden', method: 'DELETE', path: '/teams' },
        ],
      });
      const entry = {
        connector: `${c.ns}/${c.name}`,
        operations: ['list', 'add'],
        parameters: { list: { team: '{{ team }}', role: 'viewer' } },
      };
      const chat = chatOf([entry, { connector: 'it/missing' }], { team: 'red team' });
      const tools = await family.offer(chat);
      expect(tools.map((x) => x.tool.function.name)).to.deep.equal([
        `connector__it__${c.name}__list`,
        `connector__it__${c.name}__add`,
      ]);
      const list = tools[0]!;
      expect(list.tool.function.description).to.equal(`[it/${c.name}] GET /teams/{{ team }}/members`);
      expect(tools[1]!.tool.function.description).to.equal(`[it/${c.name}] Add a team`);
      expect(list.tool.function.parameters).to.deep.equal({
        type: 'object',
        properties: { limit: { type: 'integer' } },
        required: [],
      });
      expect(list.params).to.deep.equal({ locked: { team: 'red team', role: 'viewer' }, overridable: {} });
      expect(list.status).to.deep.equal({ key: `connector:it/${c.name}/list`, fallback: 'Calling list' });
      // the model tries to override both locked values: they win anyway
      const outcome = await family.run(
        {
          toolCallId: 'call_2',
          target: list.target,
          arguments: { team: 'blue', role: 'admin', limit: 3 },
          signal: new AbortController().signal,
        },
        chat,
      );
      expect(outcome.status).to.equal('ok');
      expect(peer.seen.at(-1)!.url).to.equal('/teams/red%20team/members?role=viewer&limit=3');
      expect(family.rerunnable(list.target)).to.equal(true);
      expect(family.rerunnable(tools[1]!.target)).to.equal(false);
    });

    it('leaves out deleted connectors and answers a call of one with an error', async () => {
      const c = await connector({});
      const chat = chatOf([{ connector: `${c.ns}/${c.name}` }]);
      const [tool] = await family.offer(chat);
      await ok(t.api(`/api/v1/connectors/${c.ns}/${c.name}`, { method: 'DELETE' }));
      expect(await family.offer(chat)).to.deep.equal([]);
      const outcome = await family.run(
        { toolCallId: 'c3', target: tool!.target, arguments: {}, signal: new AbortController().signal },
        chat,
      );
      expect(outcome).to.deep.include({ status: 'error' });
    });
  });

  describe('the test route', () => {
    it('answers the result with string headers, 400 for an unknown operation, 502 when no answer came', async () => {
      const c = await connector({ auth: { type: 'bearer', secret: 'API_SECRET' } });
      const res = await t.api(`/api/v1/connectors/${c.ns}/${c.name}/test/echo`, { method: 'POST', json: {} });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as {
        status_code: number;
        headers: Record<string, unknown>;
        body: unknown;
      };
      expect(body.status_code).to.equal(200);
      expect(body.body).to.deep.equal({ ok: true });
      expect(Object.values(body.headers).every((v) => typeof v === 'string')).to.equal(true);
      expect(JSON.stringify(body)).to.not.include(SHARED_VALUE);
      expect(peer.to('/echo').at(-1)!.headers.authorization).to.equal(`Bearer ${SHARED_VALUE}`);

      const unknown = await t.api(`/api/v1/connectors/${c.ns}/${c.name}/test/nope`, {
        method: 'POST',
        json: {},
      });
      expect(unknown.status).to.equal(400);
      expect(((await unknown.json()) as { field: string }).field).to.equal('operation');

      const closed = await startHttpPeer();
      await closed.stop(); // nothing listens on its port now
      const down = await connector({ base_url: closed.url });
      const failed = await t.api(`/api/v1/connectors/it/${down.name}/test/echo`, {
        method: 'POST',
        json: {},
      });
      expect(failed.status).to.equal(502);
      const refused = await connector({ base_url: 'http://10.11.12.13' });
      const guarded = await t.api(`/api/v1/connectors/it/${refused.name}/test/echo`, {
        method: 'POST',
        json: {},
      });
      expect(guarded.status).to.equal(502);
      expect(((await guarded.json()) as { detail: string }).detail).to.match(/may not reach/);
    });

    it('is refused to a user who may not update the connector', async () => {
      const c = await connector({});
      const before = peer.to('/echo').length;
      const res = await t.api(`/api/v1/connectors/${c.ns}/${c.name}/test/echo`, {
        method: 'POST',
        headers: { 'x-api-key': aliceKey },
        json: {},
      });
      expect([403, 404]).to.include(res.status);
      expect(peer.to('/echo').length).to.equal(before); // nothing was sent
    });
  });

  describe('declarative config', () => {
    const CONFIG = `apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: connectors }
spec:
  connectors:
    - namespace: cfg
      name: tickets
      baseUrl: https://api.example.com/v2
      auth: { type: api_key, secret: API_SECRET, position: query, paramName: key }
      retry: { maxAttempts: 3, backoff: linear }
      timeoutSeconds: 12
      operations:
        - name: get_ticket
          method: GET
          path: /tickets/{{ id }}
          requestBodyMapping: path_and_query
          parameters: { type: object, properties: { page_size: { type: integer } } }
`;
    const apply = (yaml: string) =>
      t.api('/api/v1/config/apply', {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body: yaml,
      });

    it('applies connectors in camelCase (nested fields too), exports them and applies back unchanged', async () => {
      const r = (await (await apply(CONFIG)).json()) as { success: boolean; summary: { created: unknown } };
      expect(r.success, JSON.stringify(r)).to.equal(true);
      const c = (await (await t.api('/api/v1/connectors/cfg/tickets')).json()) as Record<string, unknown>;
      expect(c).to.deep.include({
        base_url: 'https://api.example.com/v2',
        auth: { type: 'api_key', secret: 'API_SECRET', position: 'query', param_name: 'key' },
        retry: { max_attempts: 3, backoff: 'linear' },
        timeout_seconds: 12,
      });
      const [op] = c.operations as Record<string, unknown>[];
      expect(op).to.deep.include({
        request_body_mapping: 'path_and_query',
        response_mapping: 'json',
        parameters: { type: 'object', properties: { page_size: { type: 'integer' } } },
      });
      const again = (await (await apply(CONFIG)).json()) as {
        changes: { resourceName: string; action: string }[];
      };
      expect(
        again.changes.filter((x) => x.resourceName === 'cfg/tickets').map((x) => x.action),
      ).to.deep.equal(['unchanged']);
      const exported = await (await t.api('/api/v1/config/export')).text();
      expect(exported).to.include('paramName: key').and.include('requestBodyMapping: path_and_query');
      expect(exported).to.include('page_size');
    });
  });

  describe('OpenAPI import', () => {
    it("parses a YAML spec and the platform's own document fetched from spec_url through the guard", async () => {
      const yaml = await t.api('/api/v1/connectors/parse-openapi', {
        method: 'POST',
        json: { spec: fixture('petstore-3.0.yaml'), operations: ['getpetbyid', 'addpet'] },
      });
      expect(yaml.status).to.equal(200);
      const parsed = (await yaml.json()) as Record<string, unknown> & { operations: { name: string }[] };
      expect(parsed.operations.map((o) => o.name).sort()).to.deep.equal(['addpet', 'getpetbyid']);
      expect(parsed).to.include({ applied: 0, spec_title: 'Swagger Petstore - OpenAPI 3.0' });

      const own = await t.api('/api/v1/connectors/parse-openapi', {
        method: 'POST',
        json: { spec_url: `${t.url}/api/openapi.json` },
      });
      expect(own.status).to.equal(200);
      const mine = (await own.json()) as {
        operations: { name: string; method: string; path: string }[];
        warnings: string[];
        spec_base_url: string;
      };
      expect(mine.operations.length).to.be.greaterThan(50);
      const paths = mine.operations.map((o) => `${o.method} ${o.path}`);
      expect(paths).to.include('GET /api/v1/connectors/{{ namespace }}/{{ name }}');
      expect(mine.spec_base_url).to.be.a('string');
    });

    it('refuses a spec_url the guard refuses, Swagger 2.0, and neither spec nor spec_url (400)', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ spec_url: 'http://10.0.0.1/openapi.json' }, 'spec_url'],
        [{ spec_url: 'http://169.254.169.254/latest' }, 'spec_url'],
        [{ spec_url: 'ftp://example.com/spec' }, 'spec_url'],
        [{ spec: fixture('swagger-2.0.json') }, 'spec'],
        [{}, 'spec'],
      ];
      for (const [json, field] of cases) {
        const res = await t.api('/api/v1/connectors/parse-openapi', { method: 'POST', json });
        expect(res.status, JSON.stringify(json)).to.equal(400);
        expect(((await res.json()) as { field: string }).field).to.equal(field);
      }
    });

    it('imports into a connector: the same name replaced, new appended, hand-written kept', async () => {
      const c = await connector({
        operations: [
          { name: 'mine', method: 'GET', path: '/mine' },
          { name: 'getpetbyid', method: 'GET', path: '/old' },
        ],
      });
      const url = `/api/v1/connectors/${c.ns}/${c.name}/import-openapi`;
      const dry = await t.api(url, { method: 'POST', json: { spec: fixture('petstore-3.0.yaml') } });
      expect(((await dry.json()) as { applied: number }).applied).to.equal(0);
      const res = await t.api(url, {
        method: 'POST',
        json: { spec: fixture('petstore-3.0.yaml'), operations: ['getpetbyid', 'deletepet'], apply: true },
      });
      expect(res.status).to.equal(200);
      expect(((await res.json()) as { applied: number }).applied).to.equal(2);
      const after = (await (await t.api(`/api/v1/connectors/${c.ns}/${c.name}`)).json()) as {
        operations: { name: string; path: string }[];
      };
      expect(after.operations.map((o) => `${o.name} ${o.path}`)).to.deep.equal([
        'mine /mine',
        'getpetbyid /pet/{{ petId }}',
        'deletepet /pet/{{ petId }}',
      ]);
    });
  });
});
