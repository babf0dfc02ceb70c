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
  const hook = async (name: string, extra: object = {}, key = owner) => {
    const r = await as(key, '/api/v1/webhooks', 'POST', {
      name,
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

  it('manages a webhook whose path has slashes, and refuses a function the saver may not run', async () => {
    const made = await hook('github/org/push', { requires_auth: false });
    expect(made).to.include({ name: 'github/org/push', http_method: 'POST', response_mode: 'sync' });
    const got = await as(owner, '/api/v1/webhooks/github%2Forg%2Fpush');
    expect(got.status).to.equal(200);
    expect((await as(other, '/api/v1/webhooks/github%2Forg%2Fpush')).status).to.be.oneOf([403, 404]);
    const r = await as(other, '/api/v1/webhooks', 'POST', {
      name: 'theirs',
      function_namespace: 'wh',
      function_name: 'echo',
    });
    expect(r.status).to.equal(404);
    expect((await r.json()).field).to.equal('function_name');
    const patched = await as(owner, '/api/v1/webhooks/github%2Forg%2Fpush', 'PATCH', {
      response_mode: 'async',
    });
    expect(patched.status).to.equal(200);
    expect((await patched.json()).response_mode).to.equal('async');
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

  it('is a section of the declarative config, applied after agents', async () => {
    const yaml = [
      'apiVersion: sinas.co/v1',
      'kind: SinasConfig',
      'metadata: { name: wh }',
      'spec:',
      '  webhooks: [{ name: cfg/hook, functionNamespace: wh, functionName: echo, requiresAuth: false }]',
      '',
    ].join('\n');
    const applied = await t.api('/api/v1/config/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });
    expect(applied.status, await applied.clone().text()).to.equal(200);
    const r = await as(undefined, '/webhooks/cfg/hook', 'POST', { z: 1 });
    expect(r.status).to.equal(200);
    expect((await r.json()).result.got).to.deep.equal({ z: 1 });
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
