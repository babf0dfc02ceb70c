/**
 * The sweep of open turns: a turn whose job used up its retries (every attempt met an outage) is
 * open with a failed job, which a plain re-enqueue would deduplicate forever; the sweep adds a
 * revival, the same one from every worker, and adds nothing for a turn whose job still lives.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { chatsProjection } from '../../src/projections/chats.js';
import { ensureReadModels } from '../../src/projections/index.js';
import { InProcessQueue } from '../../src/runtime/queue/in-process-queue.js';
import { sweepOpenTurns, TURN_QUEUE, turnJobId } from '../../src/runtime/turns/turn-jobs.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { until } from '../support/until.js';

describe('sweeping open turns', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  const queues: InProcessQueue[] = [];

  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    await ensureReadModels(pool, [chatsProjection]);
  });
  after(async () => {
    for (const q of queues) await q.close();
    await pool.end();
    await db.drop();
  });

  it('revives a turn whose job failed for good, once per sweep round, and leaves a live job alone', async () => {
    const queue = new InProcessQueue();
    queues.push(queue);
    const job = { chatId: randomUUID(), turnId: randomUUID() };
    await pool.query(
      `INSERT INTO chat_turns (turn_id, chat_id, status, user_message_id, requested_at)
       VALUES ($1, $2, 'running', $3, now())`,
      [job.turnId, job.chatId, randomUUID()],
    );
    const ran: string[] = [];
    await queue.process<unknown, void>(TURN_QUEUE, async (j) => {
      ran.push(j.id);
      if (j.id === turnJobId(job)) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    await queue.add(TURN_QUEUE, 'turn', job, { jobId: turnJobId(job), attempts: 1 });
    await until('the first job to fail for good', async () => {
      return (await queue.getJob(TURN_QUEUE, turnJobId(job)))?.state === 'failed';
    });

    expect(await sweepOpenTurns(pool, queue)).to.equal(1);
    const revival = turnJobId(job, 'revive-1');
    await until(
      'the revival to run',
      async () => (await queue.getJob(TURN_QUEUE, revival))?.state === 'completed',
    );
    expect(ran).to.deep.equal([turnJobId(job), revival]);
    // the revival completed: the turn has a job that did not fail, so nothing more is added
    expect(await sweepOpenTurns(pool, queue)).to.equal(0);
  });
});
