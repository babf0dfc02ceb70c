/**
 * Inbound webhooks over HTTP (reference §5.10) on one started platform, with functions run by its
 * real runner: management under /api/v1/webhooks with paths that contain slashes, deliveries at
 * `<METHOD> /webhooks/<path>` (method match, auth or the owner, input from body / query /
 * default_values, X-Chat-ID, sync and async answers, failures as 502), dedup on a header and on a
 * JSON path, the body limit and the per-webhook rate limit.
 */
import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import { webhookDeliveryStream } from '../../src/events/webhook-delivery-events.js';
import { startTestPlatform, userKey, type JsonResponse, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const ECHO = `
def handler(input_data, context):
    return {"got": input_data, "trigger": context["trigger_type"]}
`;
const FAIL = `
def handler(input_data, context):
    raise ValueError("the sky fell")
`;

describe('inbound webhooks', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let owner: string;
  let other: string;
  before(async () => {
    t = await startTestPlatform({
      SINAS_INBOUND_WEBHOOK_RATE_PER_MINUTE: '5',
      SINAS_INBOUND_WEBHOOK_BODY_LIMIT_BYTES: '2048',
    });
    owner = await userKey(t, 'whowner');
    other = await userKey(t, 'whother');
    for (const [name, code] of [
      ['echo', ECHO],
      ['fail', FAIL],
    ] as const)
      expect((await as(owner, '/api/v1/functions', 'POST', { namespace: 'wh', name, code })).status).to.equal(
        201,
      );
  });
  after(async () => t?.stop());

  const as = (
    key: string | undefined,
    path: string,
    method = 'GET',
    json?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse> =>
    fetch(`${t.url}${path}`, {
      method,
      headers: {
        ...(key ? { 'x-api-key': key } : {}),
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  const hook = async (path: string, extra: object = {}, key = owner) => {
    const r = await as(key, '/api/v1/webhooks', 'POST', {
      path,
      function_namespace: 'wh',
      function_name: 'echo',
      ...extra,
    });
    expect(r.status, await r.clone().text()).to.equal(201);
    return r.json();
  };
  const executionsOf = async (webhookId: string) =>
    Number(
      (
        await t.platform.services.pool.query(
          `SELECT count(*) AS n FROM es_events WHERE event_type = 'ExecutionRequested' AND data->>'triggerId' = $1`,
          [webhookId],
        )
      ).rows[0].n,
    );

  it('manages a webhook by its path, slashes and all, and refuses a function the saver may not run', async () => {
    const made = await hook('github/org/push', { requires_auth: false });
    expect(made).to.include({ path: 'github/org/push', http_method: 'POST', response_mode: 'sync' });
    expect(made).to.not.have.property('name');
    const got = await as(owner, '/api/v1/webhooks/github/org/push');
    expect(got.status).to.equal(200);
    expect(await got.json()).to.include({ path: 'github/org/push', id: made.id, is_active: true });
    expect((await as(owner, '/api/v1/webhooks/github%2Forg%2Fpush')).status).to.equal(200);
    expect((await as(other, '/api/v1/webhooks/github/org/push')).status).to.be.oneOf([403, 404]);
    const listed = await (await as(owner, '/api/v1/webhooks')).json();
    expect(listed.map((w: { path: string }) => w.path)).to.include('github/org/push');
    const r = await as(other, '/api/v1/webhooks', 'POST', {
      path: 'theirs',
      function_namespace: 'wh',
      function_name: 'echo',
    });
    expect(r.status).to.equal(404);
    expect((await r.json()).field).to.equal('function_name');
    const patched = await as(owner, '/api/v1/webhooks/github/org/push', 'PATCH', {
      response_mode: 'async',
    });
    expect(patched.status).to.equal(200);
    expect((await patched.json()).response_mode).to.equal('async');
    expect((await as(owner, '/api/v1/webhooks/github/org/push', 'DELETE')).status).to.equal(204);
    expect((await as(owner, '/api/v1/webhooks/github/org/push')).status).to.equal(404);
  });

  it('answers a second webhook at a path in use with a 400 naming path', async () => {
    await hook('dup/one', { requires_auth: false });
    const again = await as(owner, '/api/v1/webhooks', 'POST', {
      path: 'dup/one',
      function_namespace: 'wh',
      function_name: 'echo',
    });
    expect(again.status).to.equal(400);
    const problem = await again.json();
    expect(problem.field).to.equal('path');
    expect(problem.detail).to.match(/dup\/one/);
    // `name` is not an alias of `path`: a body with it is refused naming it
    const named = await as(owner, '/api/v1/webhooks', 'POST', {
      name: 'dup/two',
      function_namespace: 'wh',
      function_name: 'echo',
    });
    expect(named.status).to.equal(400);
    const fields = (await named.json()).errors.map((e: { field: string }) => e.field);
    expect(fields).to.include.members(['path', 'name']);
  });

  it('keeps an inactive webhook, listed with is_active false, and answers its deliveries 404 until reactivated', async () => {
    await hook('off/on', { requires_auth: false });
    const off = await as(owner, '/api/v1/webhooks/off/on', 'PATCH', { is_active: false });
    expect(off.status).to.equal(200);
    expect((await off.json()).is_active).to.equal(false);
    const listed = await (await as(owner, '/api/v1/webhooks')).json();
    expect(listed.find((w: { path: string }) => w.path === 'off/on')).to.include({ is_active: false });
    expect((await as(owner, '/api/v1/webhooks/off/on')).status).to.equal(200);
    const delivered = await as(undefined, '/webhooks/off/on', 'POST', {});
    expect(delivered.status).to.equal(404);
    expect((await delivered.json()).field).to.equal('path');
    const on = await as(owner, '/api/v1/webhooks/off/on', 'PATCH', { is_active: true });
    expect((await on.json()).is_active).to.equal(true);
    expect((await as(undefined, '/webhooks/off/on', 'POST', { a: 1 })).status).to.equal(200);
    const made = await as(owner, '/api/v1/webhooks', 'POST', {
      path: 'off/born',
      function_namespace: 'wh',
      function_name: 'echo',
      requires_auth: false,
      is_active: false,
    });
    expect((await made.json()).is_active).to.equal(false);
    expect((await as(undefined, '/webhooks/off/born', 'POST', {})).status).to.equal(404);
  });

  it('shows a webhook saved before is_active existed as active, and delivers to it', async () => {
    const ownerId = (await hook('legacy/probe')).user_id as string;
    const at = new Date().toISOString();
    const id = randomUUID();
    const spec = {
      function_namespace: 'wh',
      function_name: 'echo',
      http_method: 'POST',
      description: null,
      default_values: {},
      requires_auth: false,
      response_mode: 'sync',
      dedup: null,
    };
    await t.platform.services.eventStore.append(
      t.platform.services.kinds.webhooks!.stream('default', 'legacy/hook'),
      [
        {
          id: randomUUID(),
          type: 'WebhookCreated',
          data: { id, namespace: 'default', name: 'legacy/hook', ownerId, spec, at },
          metadata: { correlationId: id, causationId: id, actor: ownerId, version: 1 },
        },
      ],
      'no_stream',
    );
    await until(
      'the old webhook to be projected',
      async () => (await as(owner, '/api/v1/webhooks/legacy/hook')).ok,
    );
    const shown = await (await as(owner, '/api/v1/webhooks/legacy/hook')).json();
    expect(shown).to.include({ path: 'legacy/hook', is_active: true });
    expect((await as(undefined, '/webhooks/legacy/hook', 'POST', {})).status).to.equal(200);
  });

  it('runs the function as the owner with the body over default_values, sync and async', async () => {
    const w = await hook('in/sync', { requires_auth: false, default_values: { a: 1, b: 2 } });
    const chat = randomUUID();
    const r = await as(undefined, '/webhooks/in/sync', 'POST', { b: 3 }, { 'x-chat-id': chat });
    expect(r.status).to.equal(200);
    const body = await r.json();
    expect(body.success).to.equal(true);
    expect(body.result.got).to.deep.equal({ a: 1, b: 3 });
    expect(body.result.trigger).to.equal('WEBHOOK');
    const ex = await (await t.api(`/executions/${body.execution_id}`)).json();
    expect(ex.chat_id).to.equal(chat);
    expect(ex.trigger_id).to.equal(w.id);

    await hook('in/async', { requires_auth: false, response_mode: 'async' });
    const a = await as(undefined, '/webhooks/in/async', 'POST', [1, 2]);
    expect(a.status).to.equal(202);
    const id = (await a.json()).execution_id;
    expect(id).to.be.a('string');
  });

  it('takes GET query parameters, wraps a non-object body, and answers other methods with 405', async () => {
    await hook('in/get', { requires_auth: false, http_method: 'GET' });
    const g = await as(undefined, '/webhooks/in/get?x=1&y=two');
    expect(g.status).to.equal(200);
    expect((await g.json()).result.got).to.deep.equal({ x: '1', y: 'two' });
    const p = await as(undefined, '/webhooks/in/get', 'POST', {});
    expect(p.status).to.equal(405);
    expect(p.headers.get('allow')).to.equal('GET');
    await hook('in/wrap', { requires_auth: false });
    const w = await as(undefined, '/webhooks/in/wrap', 'POST', ['a', 1]);
    expect((await w.json()).result.got).to.deep.equal({ input: ['a', 1] });
    expect((await as(undefined, '/webhooks/in/none', 'POST', {})).status).to.equal(404);
  });

  it('needs credentials when it requires auth, and checks that the caller may run the function', async () => {
    await hook('in/auth');
    expect((await as(undefined, '/webhooks/in/auth', 'POST', {})).status).to.equal(401);
    expect((await as(other, '/webhooks/in/auth', 'POST', {})).status).to.equal(403);
    const ok = await as(owner, '/webhooks/in/auth', 'POST', {});
    expect(ok.status).to.equal(200);
  });

  it('answers a failing function with a 502 naming the reason', async () => {
    await hook('in/fail', { requires_auth: false, function_name: 'fail' });
    const r = await as(undefined, '/webhooks/in/fail', 'POST', {});
    expect(r.status).to.equal(502);
    expect((await r.json()).detail).to.match(/Function execution failed: .*the sky fell/);
  });

  it('replays the first answer to a delivery with the same dedup key and starts nothing new', async () => {
    const h = await hook('dd/header', {
      requires_auth: false,
      dedup: { key: 'header:X-Delivery', ttl_seconds: 600 },
    });
    const first = await as(undefined, '/webhooks/dd/header', 'POST', { n: 1 }, { 'x-delivery': 'd1' });
    expect(first.status).to.equal(200);
    const firstBody = await first.json();
    const again = await as(undefined, '/webhooks/dd/header', 'POST', { n: 2 }, { 'x-delivery': 'd1' });
    expect(again.status).to.equal(200);
    expect(again.headers.get('webhook-deduplicated')).to.equal('true');
    expect(await again.json()).to.deep.equal(firstBody);
    const second = await as(undefined, '/webhooks/dd/header', 'POST', { n: 3 }, { 'x-delivery': 'd2' });
    expect((await second.json()).execution_id).to.not.equal(firstBody.execution_id);
    const missing = await as(undefined, '/webhooks/dd/header', 'POST', {});
    expect(missing.status).to.equal(400);
    expect(await executionsOf(h.id)).to.equal(2);

    const j = await hook('dd/json', { requires_auth: false, dedup: { key: '$.event.id' } });
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => as(undefined, '/webhooks/dd/json', 'POST', { event: { id: 'e-1' } })),
    );
    const answers = await Promise.all(runs.map((r) => r.json()));
    expect(runs.map((r) => r.status)).to.deep.equal([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.execution_id)).size).to.equal(1);
    const count = await executionsOf(j.id);
    console.log(`      executions for one dedup key delivered 4 times at once: ${count}`);
    expect(count).to.equal(1);
  });

  it('runs the execution a claim names when the delivery that claimed the key died before requesting it', async () => {
    const h = await hook('dd/adopt', { requires_auth: false, dedup: { key: 'header:X-Delivery' } });
    const executionId = randomUUID();
    const claimId = randomUUID();
    const hash = createHash('sha256').update(JSON.stringify('gone-1')).digest('hex');
    const at = new Date();
    // what a process that claimed the key and then died left behind: a claim and no answer
    await t.platform.services.eventStore.append(
      webhookDeliveryStream(h.id, hash),
      [
        {
          id: claimId,
          type: 'WebhookDeliveryClaimed',
          data: {
            webhookId: h.id,
            executionId,
            at: at.toISOString(),
            expiresAt: new Date(at.getTime() + 600_000).toISOString(),
          },
          metadata: { correlationId: claimId, causationId: claimId, actor: 'system', version: 1 },
        },
      ],
      'no_stream',
    );
    const r = await as(undefined, '/webhooks/dd/adopt', 'POST', { n: 1 }, { 'x-delivery': 'gone-1' });
    expect(r.status).to.equal(200);
    expect((await r.json()).execution_id).to.equal(executionId);
    const again = await as(undefined, '/webhooks/dd/adopt', 'POST', { n: 1 }, { 'x-delivery': 'gone-1' });
    expect((await again.json()).execution_id).to.equal(executionId);
    expect(await executionsOf(h.id)).to.equal(1);
  });

  it('is a section of the declarative config with the reference fields, idempotent, checked and round-tripping', async () => {
    // a function in the default namespace, for the bare-name shorthand
    const fn = await t.api('/api/v1/functions', { method: 'POST', json: { name: 'echo', code: ECHO } });
    expect(fn.status, await fn.clone().text()).to.equal(201);
    const doc = (webhooks: string[]) =>
      ['apiVersion: sinas.co/v1', 'kind: SinasConfig', 'metadata: { name: wh }', 'spec:', '  webhooks:']
        .concat(webhooks)
        .join('\n');
    const good = doc([
      '    - path: cfg/hook',
      '      functionName: wh/echo',
      '      requiresAuth: false',
      '      defaultValues: { from: config }',
      '      dedup: { key: "header:X-Id", ttlSeconds: 60 }',
      '    - path: cfg/bare',
      '      functionName: echo',
      '      httpMethod: PUT',
      '      responseMode: async',
    ]);
    const config = async (action: string, yaml: string) =>
      t.api(`/api/v1/config/${action}`, { method: 'POST', json: { config: yaml } });
    const bad = await (
      await config(
        'validate',
        doc(['    - path: cfg/x', '      functionName: wh/missing', '      name: old']),
      )
    ).json();
    expect(bad.valid).to.equal(false);
    const unresolved = doc(['    - path: cfg/x', '      functionName: wh/missing']);
    const refErrors = (await (await config('validate', unresolved)).json()).errors;
    expect(refErrors.map((e: { path: string }) => e.path)).to.deep.equal(['spec.webhooks[0].functionName']);
    // a function the same document defines resolves
    const inDoc = [
      'apiVersion: sinas.co/v1',
      'kind: SinasConfig',
      'metadata: { name: wh }',
      'spec:',
      '  functions:',
      '    - { namespace: wh, name: fresh, code: "def handler(input_data, context):\\n    return 1\\n" }',
      '  webhooks:',
      '    - { path: cfg/fresh, functionName: wh/fresh }',
    ].join('\n');
    const resolved = await (await config('validate', inDoc)).json();
    expect(resolved.valid, JSON.stringify(resolved.errors)).to.equal(true);

    const applied = await (await config('apply', good)).json();
    expect(applied.success, JSON.stringify(applied)).to.equal(true);
    expect(applied.summary.created).to.deep.equal({ webhook: 2 });
    const hookShown = await (await t.api('/api/v1/webhooks/cfg/hook')).json();
    expect(hookShown).to.include({ path: 'cfg/hook', function_namespace: 'wh', function_name: 'echo' });
    expect(hookShown.dedup).to.deep.equal({ key: 'header:X-Id', ttl_seconds: 60 });
    const bare = await (await t.api('/api/v1/webhooks/cfg/bare')).json();
    expect(bare).to.include({ function_namespace: 'default', http_method: 'PUT', response_mode: 'async' });
    const r = await as(undefined, '/webhooks/cfg/hook', 'POST', { z: 1 }, { 'x-id': 'a' });
    expect(r.status).to.equal(200);
    expect((await r.json()).result.got).to.deep.equal({ from: 'config', z: 1 });

    const again = await (await config('apply', good)).json();
    expect(again.summary.unchanged).to.deep.equal({ webhook: 2 });
    const exported = await (await t.api('/api/v1/config/export')).text();
    expect(exported).to.include('path: cfg/hook').and.to.include('functionName: wh/echo');
    expect(exported).to.include('functionName: default/echo').and.to.include('ttlSeconds: 60');
    const back = await (await config('apply', exported)).json();
    expect(back.success, JSON.stringify(back)).to.equal(true);
    const changed = back.changes.filter((c: { action: string }) => c.action !== 'unchanged');
    expect(changed, JSON.stringify(changed)).to.deep.equal([]);
  });

  it('refuses a body over the limit with 413 and too many deliveries with 429 and Retry-After', async () => {
    await hook('lim/size', { requires_auth: false });
    const big = await as(undefined, '/webhooks/lim/size', 'POST', { x: 'y'.repeat(4096) });
    expect(big.status).to.equal(413);
    await hook('lim/rate', { requires_auth: false, response_mode: 'async' });
    // a fixed window of a minute: twice the limit lands a 429 even across a window's edge
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    while (retryAfter === null && statuses.length < 11) {
      const r = await as(undefined, '/webhooks/lim/rate', 'POST', {});
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses).to.include(429);
    expect(statuses.slice(0, 5)).to.not.include(429);
    expect(Number(retryAfter)).to.be.greaterThan(0);
  });
});
