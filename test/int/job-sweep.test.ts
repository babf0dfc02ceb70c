/**
 * The sweeps of open turns and pending executions: a turn or run whose job used up its retries
 * (every attempt met an outage) is left with a failed job, which a plain re-enqueue would
 * deduplicate forever; the sweep adds a revival, the same one from every worker, and adds nothing
 * for one whose job still lives.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { chatsProjection } from '../../src/projections/chats.js';
import { executionsProjection } from '../../src/projections/executions.js';
import {
  EXECUTION_QUEUE,
  executionJobId,
  sweepExecutions,
} from '../../src/runtime/functions/execution-jobs.js';
import { ensureReadModels } from '../../src/projections/index.js';
import { InProcessQueue } from '../../src/runtime/queue/in-process-queue.js';
import { sweepOpenTurns, TURN_QUEUE, turnJobId } from '../../src/runtime/turns/turn-jobs.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { until } from '../support/until.js';

describe('sweeping open turns and pending executions', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  const queues: InProcessQueue[] = [];

  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    await ensureReadModels(pool, [chatsProjection, executionsProjection]);
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

  it('enqueues a pending execution again whose job failed for good, and leaves a live job alone', async () => {
    const queue = new InProcessQueue();
    queues.push(queue);
    const executionId = randomUUID();
    await pool.query(
      `INSERT INTO executions (id, user_id, function_id, function_namespace, function_name, function_version,
         trigger_type, trigger_id, status, runs, timeout_ms, shared_pool, created_at, updated_at, version, position)
       VALUES ($1, 'u', $2, 'ns', 'f', 1, 'MANUAL', 'x', 'PENDING', 0, 1000, false, now(), now(), 1, 1)`,
      [executionId, randomUUID()],
    );
    const job = { executionId, run: 1 };
    const ran: string[] = [];
    await queue.process<unknown, void>(EXECUTION_QUEUE, async (j) => {
      ran.push(j.id);
      if (j.id === executionJobId(job)) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    await queue.add(EXECUTION_QUEUE, 'execution', job, { jobId: executionJobId(job), attempts: 1 });
    await until('the first job to fail for good', async () => {
      return (await queue.getJob(EXECUTION_QUEUE, executionJobId(job)))?.state === 'failed';
    });

    expect(await sweepExecutions(pool, queue)).to.equal(1);
    const revival = `${executionJobId(job)}-revive-1`;
    await until(
      'the revival to run',
      async () => (await queue.getJob(EXECUTION_QUEUE, revival))?.state === 'completed',
    );
    expect(ran).to.deep.equal([executionJobId(job), revival]);
    expect(await sweepExecutions(pool, queue)).to.equal(0);
  });
});
