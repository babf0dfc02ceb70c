/**
 * Inbound webhook dedup across processes: one worker and two API processes (`npm start` children)
 * on one database. The same dedup key delivered through both APIs at once, and again through an
 * API process restarted since, is answered with the first delivery's response and runs the
 * function once: the executions the event store holds for the webhook are counted.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { freshDatabase, type TestDatabase } from '../support/pg.js';
import { ADMIN_KEY, type JsonResponse } from '../support/platform.js';
import { freePort, waitForPort } from '../support/services.js';
import { startProcess } from '../support/role-process.js';

const ECHO = 'def handler(input_data, context):\n    return {"paid": input_data["id"]}\n';

const stop = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
  });

describe('inbound webhook dedup across API processes and a restart', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let worker: ChildProcess;
  const apis: ChildProcess[] = [];
  const ports: number[] = [];
  let webhookId: string;

  const startApi = (i: number) => {
    apis[i] = startProcess('api', { DATABASE_URL: db.url, PORT: String(ports[i]) });
    return waitForPort(ports[i]!, 60_000);
  };

  before(async () => {
    db = await freshDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    worker = startProcess('worker', { DATABASE_URL: db.url });
    for (let i = 0; i < 2; i++) ports.push(await freePort());
    await Promise.all([0, 1].map(startApi));
    const fn = await call(0, '/api/v1/functions', 'POST', { namespace: 'mp', name: 'pay', code: ECHO });
    expect(fn.status).to.equal(201);
    const hook = await call(1, '/api/v1/webhooks', 'POST', {
      path: 'mp/payments',
      function_namespace: 'mp',
      function_name: 'pay',
      requires_auth: false,
      dedup: { key: '$.id', ttl_seconds: 3600 },
    });
    expect(hook.status).to.equal(201);
    webhookId = (await hook.json()).id;
  });

  after(async () => {
    await Promise.all([...apis, worker].filter(Boolean).map(stop));
    await pool?.end();
    await db?.drop();
  });

  function call(i: number, path: string, method = 'GET', json?: unknown): Promise<JsonResponse> {
    return fetch(`http://127.0.0.1:${ports[i]}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  }
  const deliver = (i: number, id: string): Promise<JsonResponse> =>
    fetch(`http://127.0.0.1:${ports[i]}/webhooks/mp/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, amount: 5 }),
    });
  const executions = async () =>
    Number(
      (
        await pool.query(
          `SELECT count(*) AS n FROM es_events WHERE event_type = 'ExecutionRequested' AND data->>'triggerId' = $1`,
          [webhookId],
        )
      ).rows[0].n,
    );

  let first: { execution_id: string; result: unknown };

  it('runs one execution for a key delivered through both APIs at once', async () => {
    const res = await Promise.all([0, 1, 0, 1, 0, 1].map((i) => deliver(i, 'pay-1')));
    expect(res.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
    const bodies = await Promise.all(res.map((r) => r.json()));
    expect(new Set(bodies.map((b) => b.execution_id)).size).to.equal(1);
    first = bodies[0];
    expect(first.result).to.deep.equal({ paid: 'pay-1' });
    const n = await executions();
    console.log(`      executions after 6 deliveries of one key through 2 API processes: ${n}`);
    expect(n).to.equal(1);
  });

  it('answers the key with the first response after the API process restarted, starting nothing', async () => {
    await stop(apis[0]!);
    await startApi(0);
    const again = await deliver(0, 'pay-1');
    expect(again.status).to.equal(200);
    expect(again.headers.get('webhook-deduplicated')).to.equal('true');
    expect(await again.json()).to.deep.equal(first);
    const other = await deliver(1, 'pay-1');
    expect(await other.json()).to.deep.equal(first);
    const n = await executions();
    console.log(`      executions for that key after an API restart and 2 more deliveries: ${n}`);
    expect(n).to.equal(1);
    // another key is another run
    expect((await (await deliver(0, 'pay-2')).json()).result).to.deep.equal({ paid: 'pay-2' });
    expect(await executions()).to.equal(2);
  });
});
