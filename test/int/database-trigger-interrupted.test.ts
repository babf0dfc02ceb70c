/**
 * A database trigger batch whose function run a SIGKILL interrupts, made to happen on purpose: the
 * function holds the batch that carries a marked row (it sleeps far past the test), the test waits
 * until that run has started, SIGKILLs the only worker and starts another. The held batch is settled
 * FAILED with the "interrupted" reason and never run again (the function may have had side effects);
 * the batches after it run, each exactly once.
 */
import { expect } from 'chai';
import type { BatchClaimedData } from '../../src/events/database-trigger-events.js';
import { triggerRuns, triggerFeed, type TriggerFeed } from '../support/trigger-feed.js';
import { until } from '../support/until.js';

const HOLD = `
import time
def handler(input_data, context):
    if any(r["payload"] == "hold" for r in input_data["rows"]):
        time.sleep(280)
    return {"n": input_data["count"]}
`;

describe('database trigger: a batch whose run was interrupted', function () {
  this.timeout(600_000);
  let feed: TriggerFeed;
  /** rows from..to (payload p<n>, or 'hold' for `hold`) */
  const insert = (from: number, to: number, hold?: number) =>
    feed.data.query(
      "INSERT INTO feed (id, payload) SELECT g, CASE WHEN g = $3 THEN 'hold' ELSE 'p' || g END FROM generate_series($1::int, $2::int) g",
      [from, to, hold ?? -1],
    );

  before(async () => {
    feed = await triggerFeed('id bigint PRIMARY KEY, payload text NOT NULL');
  });
  after(async () => {
    await feed?.stop();
  });

  it('is settled FAILED "interrupted" after a SIGKILL, not re-run, and the next batches run once each', async () => {
    const store = feed.t.platform.services.eventStore;
    await insert(1, 30, 15); // batches of 10: the second holds
    const first = feed.worker();
    const triggerId = await feed.trigger({ name: 'hold', code: HOLD }, 10);
    const startsOf = async (executionId: string) =>
      (await store.readStream(`execution-${executionId}`)).filter((e) => e.type === 'ExecutionStarted')
        .length;

    let held: BatchClaimedData | undefined;
    await until(
      'the held batch running',
      async () => {
        held = (await feed.batches()).claims.find((c) => c.seq === 2);
        return held !== undefined && (await startsOf(held.executionId)) === 1;
      },
      200_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await insert(31, 40); // while no worker runs
    feed.worker();
    const status = feed.status;
    await until(
      'all 40 rows handed on',
      async () => {
        const s = await status();
        return s.rows >= 40 && s.pending_batch === null;
      },
      300_000,
    );

    const { claims, settled } = await feed.batches();
    const runs = await triggerRuns(feed.t, triggerId);
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
