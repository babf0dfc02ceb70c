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
import { BullMqQueue } from '../../src/runtime/queue/bullmq-queue.js';
import { InProcessQueue } from '../../src/runtime/queue/in-process-queue.js';
import type { JobQueue } from '../../src/runtime/queue/job-queue.js';
import { subTurnId } from '../../src/runtime/subagents/sub-chats.js';
import {
  approvalWake,
  enqueueTurn,
  subTurnWake,
  sweepOpenTurns,
  TURN_QUEUE,
  turnJobId,
} from '../../src/runtime/turns/turn-jobs.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { redisUrl, skipLoudly } from '../support/skip.js';
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

/**
 * A turn woken later (an approval decided, a sub-agent's turn ended) whose wake job used up its
 * retries: its first job completed, so only the latest job tells it needs one. On both queues the
 * sweep can run on.
 */
for (const adapter of ['in-process', 'BullMQ'] as const) {
  describe(`sweeping a turn whose wake job failed for good (${adapter})`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    let pool: pg.Pool;
    let queue: JobQueue;

    before(async function () {
      if (adapter === 'BullMQ' && !redisUrl()) skipLoudly(this, 'redis', 'TEST_REDIS_URL is not set');
      db = await freshDatabase();
      pool = testPool(db.url, 4);
      await ensureReadModels(pool, [chatsProjection]);
    });
    beforeEach(() => {
      queue =
        adapter === 'BullMQ'
          ? new BullMqQueue({ url: redisUrl() ?? '', prefix: `test-${randomUUID()}` })
          : new InProcessQueue();
    });
    afterEach(async () => queue?.close());
    after(async () => {
      await pool?.end();
      await db?.drop();
    });

    for (const kind of ['approval', 'sub-agent'] as const) {
      it(`revives it after a failed ${kind} wake-up, and leaves a turn that only waits alone`, async () => {
        const job = { chatId: randomUUID(), turnId: randomUUID() };
        const toolCallId = `call_${randomUUID().slice(0, 8)}`;
        await openTurnWithCall(pool, job, toolCallId, kind);
        const wake =
          kind === 'approval' ? approvalWake(toolCallId) : subTurnWake(subTurnId(job.chatId, toolCallId));
        const ran: string[] = [];
        await queue.process<unknown, void>(TURN_QUEUE, async (j) => {
          ran.push(j.id);
          if (j.id === turnJobId(job, wake)) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
          if (j.id === turnJobId(job, 'revive-1')) await finishTurn(pool, job.turnId);
        });
        const settled = (id: string, state: string) =>
          until(`${id} ${state}`, async () => (await queue.getJob(TURN_QUEUE, id))?.state === state);

        await enqueueTurn(queue, job);
        await settled(turnJobId(job), 'completed');
        // the turn waits for the decision or the sub-agent: its latest job completed, none is added
        expect(await sweepOpenTurns(pool, queue)).to.equal(0);

        await queue.add(TURN_QUEUE, 'turn', job, { jobId: turnJobId(job, wake), attempts: 1 });
        await settled(turnJobId(job, wake), 'failed');
        expect(await sweepOpenTurns(pool, queue)).to.equal(1);
        await settled(turnJobId(job, 'revive-1'), 'completed');
        expect(ran).to.deep.equal([turnJobId(job), turnJobId(job, wake), turnJobId(job, 'revive-1')]);
        // the revival finished the turn: nothing more to sweep
        expect(await sweepOpenTurns(pool, queue)).to.equal(0);
      });
    }

    it('adds the same revival from every worker sweeping at once', async () => {
      const job = { chatId: randomUUID(), turnId: randomUUID() };
      const toolCallId = `call_${randomUUID().slice(0, 8)}`;
      await openTurnWithCall(pool, job, toolCallId, 'approval');
      const ran: string[] = [];
      for (const wake of [undefined, approvalWake(toolCallId)])
        await queue.add(TURN_QUEUE, 'turn', job, { jobId: turnJobId(job, wake) });
      await queue.process<unknown, void>(TURN_QUEUE, async (j) => {
        ran.push(j.id);
        if (j.id === turnJobId(job, approvalWake(toolCallId))) throw new Error('connect ECONNREFUSED');
      });
      await until('the wake-up to fail', async () => {
        return (await queue.getJob(TURN_QUEUE, turnJobId(job, approvalWake(toolCallId))))?.state === 'failed';
      });
      const swept = await Promise.all([1, 2, 3].map(() => sweepOpenTurns(pool, queue)));
      expect(swept.reduce((a, b) => a + b)).to.be.at.least(1);
      await until('the revival to run', async () => {
        return (await queue.getJob(TURN_QUEUE, turnJobId(job, 'revive-1')))?.state === 'completed';
      });
      expect(await queue.getJob(TURN_QUEUE, turnJobId(job, 'revive-2'))).to.equal(undefined);
      expect(ran.filter((id) => id.includes('revive-'))).to.deep.equal([turnJobId(job, 'revive-1')]);
      await finishTurn(pool, job.turnId);
    });
  });
}

async function openTurnWithCall(
  pool: pg.Pool,
  job: { chatId: string; turnId: string },
  toolCallId: string,
  kind: 'approval' | 'sub-agent',
): Promise<void> {
  await pool.query(
    `INSERT INTO chat_turns (turn_id, chat_id, status, user_message_id, requested_at)
     VALUES ($1, $2, 'tools', $3, now())`,
    [job.turnId, job.chatId, randomUUID()],
  );
  await pool.query(
    `INSERT INTO chat_tool_calls (tool_call_id, chat_id, turn_id, message_id, name, target, description,
       requires_approval, approval_status, status, requested_at)
     VALUES ($1, $2, $3, $4, 'tool', $5, 'a call', $6, 'approved', 'requested', now())`,
    [
      toolCallId,
      job.chatId,
      job.turnId,
      randomUUID(),
      kind === 'sub-agent' ? { family: 'agent', ref: { namespace: 'ns', name: 'helper' } } : null,
      kind === 'approval',
    ],
  );
}

/** What the revived job's turn does in the end: it completes. */
async function finishTurn(pool: pg.Pool, turnId: string): Promise<void> {
  await pool.query(`UPDATE chat_turns SET status = 'completed', ended_at = now() WHERE turn_id = $1`, [
    turnId,
  ]);
}
