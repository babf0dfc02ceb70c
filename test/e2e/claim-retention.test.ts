/**
 * Bounded retention of claim streams (README "Retention of claim streams") on a started platform:
 * a webhook dedup key's stream is deleted by the sweep once its last claim expired (and the key
 * runs anew), not before; deleting a webhook or a schedule deletes its claim streams; a schedule's
 * tick stream and a database trigger's poll stream keep their last events only
 * (SINAS_CLAIM_STREAM_KEEP_EVENTS) while claims at their revision go on working.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { scheduleTickStream } from '../../src/events/schedule-events.js';
import { webhookDeliveryStream } from '../../src/events/webhook-delivery-events.js';
import { sweepClaimStreams } from '../../src/runtime/retention/stream-sweep.js';
import pg from 'pg';
import { triggerPollStream } from '../../src/events/database-trigger-events.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

describe('claim stream retention', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'ret',
        name: 'echo',
        code: 'def handler(input_data, context):\n    return input_data\n',
      },
    });
    expect(fn.status).to.equal(201);
  });
  after(async () => t?.stop());

  const store = () => t.platform.services.eventStore;
  const pool = () => t.platform.services.pool;
  const sweep = (now?: Date) => sweepClaimStreams(pool(), store(), now);
  const indexed = async (stream: string) =>
    (await pool().query('SELECT 1 FROM claim_streams WHERE stream = $1', [stream])).rowCount === 1;
  const keyStream = (webhookId: string, key: string) =>
    webhookDeliveryStream(webhookId, createHash('sha256').update(JSON.stringify(key)).digest('hex'));
  const deliver = async (path: string, key: string) => {
    const r = await fetch(`${t.url}/webhooks/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-delivery': key },
      body: '{}',
    });
    expect(r.status).to.equal(200);
    return (await r.json()) as { execution_id: string };
  };
  const webhook = async (path: string) => {
    const r = await t.api('/api/v1/webhooks', {
      method: 'POST',
      json: {
        path,
        function_namespace: 'ret',
        function_name: 'echo',
        requires_auth: false,
        dedup: { key: 'header:X-Delivery', ttl_seconds: 60 },
      },
    });
    expect(r.status, await r.clone().text()).to.equal(201);
    return (await r.json()) as { id: string };
  };

  it('deletes a dedup key stream once its last claim expired, and the key then runs anew', async () => {
    const w = await webhook('keep/expiry');
    const first = await deliver('keep/expiry', 'k1');
    const stream = keyStream(w.id, 'k1');
    expect(await store().streamRevision(stream)).to.not.equal(undefined);
    await until('the key indexed', () => indexed(stream));
    expect((await sweep()).expired).to.equal(0); // live: it still deduplicates
    expect((await deliver('keep/expiry', 'k1')).execution_id).to.equal(first.execution_id);

    const later = new Date(Date.now() + 61_000);
    const swept = await sweep(later);
    expect(swept.expired).to.equal(1);
    expect(await store().streamRevision(stream)).to.equal(undefined);
    expect(await indexed(stream)).to.equal(false);
    expect((await deliver('keep/expiry', 'k1')).execution_id).to.not.equal(first.execution_id);
  });

  it('deletes the dedup key streams of a deleted webhook', async () => {
    const w = await webhook('keep/deleted');
    await deliver('keep/deleted', 'a');
    await deliver('keep/deleted', 'b');
    const streams = [keyStream(w.id, 'a'), keyStream(w.id, 'b')];
    await until('the keys indexed', async () => (await Promise.all(streams.map(indexed))).every(Boolean));
    expect((await sweep()).orphaned).to.equal(0);
    expect((await t.api('/api/v1/webhooks/keep%2Fdeleted', { method: 'DELETE' })).status).to.be.oneOf([
      200, 204,
    ]);
    await until('the webhook gone from its read model', async () => {
      const r = await pool().query('SELECT 1 FROM webhooks WHERE id::text = $1', [w.id]);
      return r.rowCount === 0;
    });
    expect((await sweep()).orphaned).to.equal(2);
    for (const s of streams) expect(await store().streamRevision(s)).to.equal(undefined);
  });

  it("deletes a deleted schedule's tick stream", async () => {
    const r = await t.api('/api/v1/schedules', {
      method: 'POST',
      json: {
        name: 'keep-ticks',
        target_namespace: 'ret',
        target_name: 'echo',
        cron_expression: '* * * * * *',
      },
    });
    expect(r.status).to.equal(201);
    const { id } = (await r.json()) as { id: string };
    const stream = scheduleTickStream(id);
    await until('a tick indexed', () => indexed(stream));
    expect((await sweep()).orphaned).to.equal(0);
    expect((await t.api('/api/v1/schedules/keep-ticks', { method: 'DELETE' })).status).to.be.oneOf([
      200, 204,
    ]);
    await until('the schedule gone from its read model', async () => {
      const q = await pool().query('SELECT 1 FROM schedules WHERE id::text = $1', [id]);
      return q.rowCount === 0;
    });
    // a pass that read the schedule before the delete may claim one more tick: the next sweep takes it
    await until('the tick stream deleted', async () => {
      await sweep();
      return (await store().streamRevision(stream)) === undefined;
    });
  });
});

describe('claim streams keep their last events', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let db: UserDatabase;
  let data: pg.Pool;
  before(async () => {
    t = await startTestPlatform({ SINAS_CLAIM_STREAM_KEEP_EVENTS: '4' });
    db = await userDatabase();
    data = new pg.Pool({ connectionString: db.url, max: 2 });
    await data.query('CREATE TABLE feed (id serial PRIMARY KEY, note text NOT NULL)');
    const code = 'def handler(input_data, context):\n    return {"n": input_data.get("count", 0)}\n';
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'ret', name: 'count', code },
    });
    expect(fn.status).to.equal(201);
  });
  after(async () => {
    await data?.end();
    await t?.stop();
    await db?.drop();
  });
  const store = () => t.platform.services.eventStore;

  it("a schedule's tick stream keeps its last events and goes on firing once per tick", async () => {
    const r = await t.api('/api/v1/schedules', {
      method: 'POST',
      json: {
        name: 'short-memory',
        target_namespace: 'ret',
        target_name: 'count',
        cron_expression: '* * * * * *',
      },
    });
    expect(r.status).to.equal(201);
    const { id } = (await r.json()) as { id: string };
    const stream = scheduleTickStream(id);
    await until('six ticks', async () => ((await store().streamRevision(stream)) ?? -1n) >= 11n, 60_000);
    await t.api('/api/v1/schedules/short-memory', { method: 'PATCH', json: { is_active: false } });
    const lastOf = async () =>
      (await store().readStream(stream, { direction: 'backwards', maxCount: 1 }))[0]!;
    await until('the last claim finished', async () => (await lastOf()).type !== 'ScheduleTickClaimed');
    const kept = await store().readStream(stream);
    const dues = kept.filter((e) => e.type === 'ScheduleTickClaimed').map((e) => e.data.due);
    expect(kept.length).to.be.at.most(5);
    expect(kept[0]!.revision > 0n).to.equal(true);
    expect(new Set(dues).size).to.equal(dues.length);
    // a claim and an outcome per tick, each tick fired once: one execution per tick, no more
    const ticks = Number((await lastOf()).revision + 1n) / 2;
    const runs = async () =>
      (
        (await (await t.api('/executions?trigger_type=SCHEDULE&limit=1000')).json()) as {
          trigger_id: string;
        }[]
      ).filter((e) => e.trigger_id === id).length;
    await until(`${ticks} executions`, async () => (await runs()) >= ticks);
    expect(await runs()).to.equal(ticks);
  });

  it("a database trigger's poll stream keeps its last events; every row is still handed on once", async () => {
    const conn = { name: 'feeddb', connection_type: 'postgresql', ...db.fields };
    const c = await t.api('/api/v1/database-connections', { method: 'POST', json: conn });
    expect(c.status).to.equal(201);
    const made = await t.api('/api/v1/database-triggers', {
      method: 'POST',
      json: {
        name: 'feed',
        database_connection_id: ((await c.json()) as { id: string }).id,
        table_name: 'feed',
        function_namespace: 'ret',
        function_name: 'count',
        poll_column: 'id',
        poll_interval_seconds: 1,
        batch_size: 5,
      },
    });
    expect(made.status, await made.clone().text()).to.equal(201);
    const { id } = (await made.json()) as { id: string };
    await data.query("INSERT INTO feed (note) SELECT 'n' || g FROM generate_series(1, 40) g");
    const status = async () => (await t.api('/api/v1/database-triggers/feed')).json();
    await until(
      '40 rows handed on',
      async () => {
        const s = await status();
        return s.rows === 40 && s.pending_batch === null;
      },
      120_000,
    );
    expect(await status()).to.include({ rows: 40, batches: 8, last_poll_value: '40', error_message: null });
    const kept = await store().readStream(triggerPollStream(id));
    expect(kept.length).to.be.at.most(5);
    expect(await store().streamRevision(triggerPollStream(id))).to.equal(15n);
    await executionsCaughtUp(t); // the list is the read model; the trigger's status counts settled runs
    const runs = (
      (await (await t.api('/executions?trigger_type=CDC&limit=1000')).json()) as Record<string, unknown>[]
    ).filter((r) => r.trigger_id === id);
    expect(runs).to.have.length(8);
    expect(runs.reduce((n, r) => n + ((r.output_data as { n: number }).n ?? 0), 0)).to.equal(40);

    // deleting the trigger deletes its poll stream at the next sweep
    const indexed = async () =>
      (
        await t.platform.services.pool.query('SELECT 1 FROM claim_streams WHERE stream = $1', [
          triggerPollStream(id),
        ])
      ).rowCount === 1;
    await until('the poll stream indexed', indexed);
    expect((await t.api('/api/v1/database-triggers/feed', { method: 'DELETE' })).status).to.be.oneOf([
      200, 204,
    ]);
    await until('the poll stream deleted', async () => {
      await sweepClaimStreams(t.platform.services.pool, store());
      return (await store().streamRevision(triggerPollStream(id))) === undefined;
    });
    expect(await indexed()).to.equal(false);
  });
});
