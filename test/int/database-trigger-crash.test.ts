/**
 * A trigger table receiving 10,000 inserts while two worker processes poll it, one SIGKILLed
 * midway and started again: every row is handed on exactly once. Counted from the trigger's poll
 * stream (each row in exactly one claimed batch, batches contiguous, each settled once) and from
 * the function executions (one per batch, every one completed, their counts adding up to 10,000).
 */
import { expect } from 'chai';
import { triggerRuns, triggerFeed, type TriggerFeed } from '../support/trigger-feed.js';
import { until } from '../support/until.js';

const ROWS = 10_000;
const COUNT = `
def handler(input_data, context):
    return {"n": input_data["count"]}
`;

describe('database trigger crash safety', function () {
  this.timeout(600_000);
  let feed: TriggerFeed;
  const insert = async (n: number) => {
    for (let i = 0; i < n; i += 100)
      await feed.data.query("INSERT INTO feed (payload) SELECT 'p' || g FROM generate_series(1, 100) g");
  };

  before(async () => {
    feed = await triggerFeed('id bigserial PRIMARY KEY, payload text NOT NULL');
  });
  after(async () => {
    await feed?.stop();
  });

  it('hands every one of 10,000 rows on exactly once across a SIGKILLed and restarted worker', async () => {
    const first = feed.worker();
    feed.worker();
    const triggerId = await feed.trigger({ name: 'count', code: COUNT }, 250);
    const status = feed.status;
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
    feed.worker();
    await until(`all ${ROWS} rows handed on`, handed(ROWS), 400_000);

    const { events, claims, settled } = await feed.batches();
    const ids = claims.flatMap((c) => c.rows.map((r) => Number(r.id)));
    const runs = await triggerRuns(feed.t, triggerId);
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
