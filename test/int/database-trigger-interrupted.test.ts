/**
 * A database trigger batch whose function run a SIGKILL interrupts, made to happen on purpose: the
 * function holds the batch that carries a marked row (it sleeps far past the test), the test waits
 * until that run has started, SIGKILLs the only worker and starts another. The held batch is settled
 * FAILED with the "interrupted" reason and never run again (the function may have had side effects);
 * the batches after it run, each exactly once.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { BatchClaimedData, BatchSettledData } from '../../src/events/database-trigger-events.js';
import { triggerPollStream } from '../../src/events/database-trigger-events.js';
import { startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';
import { spawnWorker } from '../support/worker-process.js';

const HOLD = `
import time
def handler(input_data, context):
    if any(r["payload"] == "hold" for r in input_data["rows"]):
        time.sleep(280)
    return {"n": input_data["count"]}
`;

describe('database trigger: a batch whose run was interrupted', function () {
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
  /** rows from..to (payload p<n>, or 'hold' for `hold`) */
  const insert = (from: number, to: number, hold?: number) =>
    data.query(
      "INSERT INTO feed (id, payload) SELECT g, CASE WHEN g = $3 THEN 'hold' ELSE 'p' || g END FROM generate_series($1::int, $2::int) g",
      [from, to, hold ?? -1],
    );

  before(async () => {
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
    db = await userDatabase();
    data = new pg.Pool({ connectionString: db.url, max: 2 });
    await data.query('CREATE TABLE feed (id bigint PRIMARY KEY, payload text NOT NULL)');
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await data?.end();
    await t?.stop();
    await db?.drop();
  });

  it('is settled FAILED "interrupted" after a SIGKILL, not re-run, and the next batches run once each', async () => {
    const store = t.platform.services.eventStore;
    await insert(1, 30, 15); // batches of 10: the second holds
    const first = worker();
    const conn = { name: 'feeddb', connection_type: 'postgresql', ...db.fields };
    const connId = (await (await must(post('/api/v1/database-connections', conn), 201)).json()).id;
    await must(post('/api/v1/functions', { namespace: 'cdc', name: 'hold', code: HOLD }), 201);
    await until(
      'the connection projected',
      async () => (await t.api('/api/v1/database-connections/feeddb')).status === 200,
      100_000,
    );
    await until(
      'the function projected',
      async () => (await t.api('/api/v1/functions/cdc/hold')).status === 200,
      100_000,
    );
    const admin = (await t.platform.services.functions.at('cdc', 'hold')).ownerId;
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
          function_name: 'hold',
          poll_column: 'id',
          poll_interval_seconds: 1,
          batch_size: 10,
        }),
        201,
      )
    ).json();
    const poll = async () => store.readStream(triggerPollStream(made.id));
    const claimsOf = (events: Awaited<ReturnType<typeof poll>>) =>
      events
        .filter((e) => e.type === 'DatabaseTriggerBatchClaimed')
        .map((e) => e.data as unknown as BatchClaimedData);
    const startsOf = async (executionId: string) =>
      (await store.readStream(`execution-${executionId}`)).filter((e) => e.type === 'ExecutionStarted')
        .length;

    let held: BatchClaimedData | undefined;
    await until(
      'the held batch running',
      async () => {
        held = claimsOf(await poll()).find((c) => c.seq === 2);
        return held !== undefined && (await startsOf(held.executionId)) === 1;
      },
      200_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await insert(31, 40); // while no worker runs
    worker();
    const status = async () => (await t.api('/api/v1/database-triggers/feed')).json();
    await until(
      'all 40 rows handed on',
      async () => {
        const s = await status();
        return s.rows >= 40 && s.pending_batch === null;
      },
      300_000,
    );

    const events = await poll();
    const claims = claimsOf(events);
    const settled = events
      .filter((e) => e.type === 'DatabaseTriggerBatchSettled')
      .map((e) => e.data as unknown as BatchSettledData);
    await executionsCaughtUp(t);
    const runs = (
      (await (await t.api('/executions?trigger_type=CDC&limit=1000')).json()) as Record<string, unknown>[]
    ).filter((r) => r.trigger_id === made.id);
    const starts = await Promise.all(claims.map((c) => startsOf(c.executionId)));
    console.log(
      `      ${claims.length} batches claimed, settled ${JSON.stringify(settled.map((s) => [s.seq, s.status]))}, ` +
        `run starts per batch ${JSON.stringify(starts)}`,
    );
    expect(claims.map((c) => c.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(settled.map((s) => s.seq)).to.deep.equal([1, 2, 3, 4]);
    const [one, two, three, four] = settled;
    expect(two).to.include({ status: 'FAILED', executionId: held!.executionId });
    expect(two!.error).to.match(/interrupted/);
    for (const s of [one, three, four]) expect(s!.status).to.equal('COMPLETED');
    expect(starts).to.deep.equal([1, 1, 1, 1]); // no batch ran twice
    expect(runs.map((r) => r.id).sort()).to.deep.equal(claims.map((c) => c.executionId).sort());
    const executed = runs.reduce((n, r) => n + ((r.output_data as { n?: number } | null)?.n ?? 0), 0);
    expect(executed).to.equal(30);
    expect(await status()).to.include({ rows: 40, last_poll_value: '40', error_message: null });
  });
});
