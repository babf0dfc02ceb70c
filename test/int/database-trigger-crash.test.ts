/**
 * A trigger table receiving 10,000 inserts while two worker processes poll it, one SIGKILLed
 * midway and started again: every row is handed on exactly once. Counted from the trigger's poll
 * stream (each row in exactly one claimed batch, batches contiguous, each settled once) and from
 * the function executions (one per batch, every one completed, their counts adding up to 10,000).
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { BatchClaimedData } from '../../src/events/database-trigger-events.js';
import { triggerPollStream } from '../../src/events/database-trigger-events.js';
import { startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';
import { spawnWorker } from '../support/worker-process.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';

const ROWS = 10_000;
const COUNT = `
def handler(input_data, context):
    return {"n": input_data["count"]}
`;

describe('database trigger crash safety', function () {
  this.timeout(600_000);
  let t: TestPlatform;
  let db: UserDatabase;
  let data: pg.Pool;
  const workers: ChildProcess[] = [];
  const must = async (r: Promise<JsonResponse>, status: number) => {
    const res = await r;
    if (res.status !== status) throw new Error(`setup: ${res.url} gave ${res.status}: ${await res.text()}`);
    return res;
  };
  const post = (path: string, json: unknown) => t.api(path, { method: 'POST', json });
  const worker = () => {
    const w = spawnWorker(t.db.url);
    workers.push(w);
    return w;
  };
  const insert = async (n: number) => {
    for (let i = 0; i < n; i += 100)
      await data.query("INSERT INTO feed (payload) SELECT 'p' || g FROM generate_series(1, 100) g");
  };

  before(async () => {
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
    db = await userDatabase();
    data = new pg.Pool({ connectionString: db.url, max: 2 });
    await data.query('CREATE TABLE feed (id bigserial PRIMARY KEY, payload text NOT NULL)');
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await data?.end();
    await t?.stop();
    await db?.drop();
  });

  it('hands every one of 10,000 rows on exactly once across a SIGKILLed and restarted worker', async () => {
    const first = worker();
    worker();
    const conn = { name: 'feeddb', connection_type: 'postgresql', ...db.fields };
    const connId = (await (await must(post('/api/v1/database-connections', conn), 201)).json()).id;
    await must(post('/api/v1/functions', { namespace: 'cdc', name: 'count', code: COUNT }), 201);
    // the workers project them: on a busy machine they may still be starting when the writes answer
    await until(
      'the connection projected',
      async () => (await t.api(`/api/v1/database-connections/feeddb`)).status === 200,
      100_000,
    );
    await until(
      'the function projected',
      async () => (await t.api('/api/v1/functions/cdc/count')).status === 200,
      100_000,
    );
    // the save checks the admin may run the function, with the admin's roles as the workers project them
    const admin = (await t.platform.services.functions.at('cdc', 'count')).ownerId;
    const identity = t.platform.services.queries.identity;
    await until(
      "the admin's roles projected",
      async () => (await identity.permissionsOf(admin)).roles.length > 0,
      100_000,
    );
    const made = await (
      await must(
        post('/api/v1/database-triggers', {
          name: 'feed',
          database_connection_id: connId,
          table_name: 'feed',
          operations: ['INSERT'],
          function_namespace: 'cdc',
          function_name: 'count',
          poll_column: 'id',
          poll_interval_seconds: 1,
          batch_size: 250,
        }),
        201,
      )
    ).json();
    const status = async () => (await t.api('/api/v1/database-triggers/feed')).json();
    const handed = (rows: number) => async () => {
      const s = await status();
      await new Promise((r) => setImmediate(r));
      return s.rows >= rows && s.pending_batch === null;
    };

    const firstHalf = insert(ROWS / 2);
    await until('some batches handed on', async () => (await status()).rows >= 1500, 200_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await firstHalf;
    await insert(ROWS / 2); // while one worker is down
    worker();
    await until(`all ${ROWS} rows handed on`, handed(ROWS), 400_000);

    const events = await t.platform.services.eventStore.readStream(triggerPollStream(made.id));
    const claims = events
      .filter((e) => e.type === 'DatabaseTriggerBatchClaimed')
      .map((e) => e.data as unknown as BatchClaimedData);
    const settled = events
      .filter((e) => e.type === 'DatabaseTriggerBatchSettled')
      .map((e) => e.data as { seq: number; status: string; error: string | null });
    const ids = claims.flatMap((c) => c.rows.map((r) => Number(r.id)));
    // the executions read model is read once it has reached the last execution event (the last
    // batch's run ended moments ago)
    await executionsCaughtUp(t);
    const runs = (
      (await (await t.api('/executions?trigger_type=CDC&limit=1000')).json()) as Record<string, unknown>[]
    ).filter((r) => r.trigger_id === made.id);
    const executed = runs.reduce((n, r) => n + ((r.output_data as { n?: number } | null)?.n ?? 0), 0);
    console.log(
      `      ${ROWS} inserts: ${claims.length} batches claimed holding ${ids.length} rows (${new Set(ids).size} distinct), ` +
        `${settled.length} settled, ${runs.length} executions (${runs.filter((r) => r.status === 'COMPLETED').length} completed) ` +
        `handing on ${executed} rows; ${events.length} events on the poll stream`,
    );
    expect(ids).to.have.length(ROWS);
    expect(new Set(ids).size).to.equal(ROWS);
    expect(Math.min(...ids)).to.equal(1);
    expect(Math.max(...ids)).to.equal(ROWS);
    expect(claims.map((c) => c.seq)).to.deep.equal(claims.map((_, i) => i + 1));
    claims.forEach((c, i) => expect(c.fromValue).to.equal(i === 0 ? null : claims[i - 1]!.lastPollValue));
    expect(settled.map((s) => s.seq)).to.deep.equal(claims.map((c) => c.seq));
    // a batch whose run the SIGKILL cut short is settled as failed with the reason, never re-run
    // (a function may have had side effects): at most the batches in flight at the kill, and loud
    const failed = settled.filter((s) => s.status !== 'COMPLETED');
    if (failed.length) console.log(`      settled other than COMPLETED: ${JSON.stringify(failed)}`);
    expect(failed.length).to.be.at.most(2);
    for (const f of failed) expect(f.error ?? '').to.match(/interrupted/);
    const failedRows = claims
      .filter((c) => failed.some((f) => f.seq === c.seq))
      .reduce((n, c) => n + c.rows.length, 0);
    expect(runs).to.have.length(claims.length);
    expect(new Set(runs.map((r) => r.id)).size).to.equal(claims.length);
    expect(executed).to.equal(ROWS - failedRows);
    expect(await status()).to.include({ rows: ROWS, last_poll_value: String(ROWS), error_message: null });
  });
});
