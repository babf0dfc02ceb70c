/**
 * Retrying and flushing dead letters (src/runtime/admin/dead-letters.ts) on both job queue adapters
 * and the Postgres event store: a retry is claimed once (ten at once: one new run, nine 409s), a
 * retried or flushed dead letter leaves the DLQ view, and the failed job's id still keeps a
 * re-delivered event from running it.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { IllegalStateError } from '../../src/errors.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { DeadLetters } from '../../src/runtime/admin/dead-letters.js';
import { QueueOverview } from '../../src/runtime/admin/queue-overview.js';
import { EXECUTION_QUEUE } from '../../src/runtime/functions/execution-jobs.js';
import { migrate } from '../../src/runtime/migrate.js';
import { BullMqQueue } from '../../src/runtime/queue/bullmq-queue.js';
import { InProcessQueue } from '../../src/runtime/queue/in-process-queue.js';
import type { JobQueue } from '../../src/runtime/queue/job-queue.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { redisUrl, skipLoudly } from '../support/skip.js';
import { waitFor } from './job-queue.contract.js';

function deadLetterSuite(name: string, make: () => JobQueue | undefined): void {
  describe(`dead letters: retry and flush (${name})`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    let pool: pg.Pool;
    let store: PgEventStore;
    let queue: JobQueue;
    let letters: DeadLetters;
    let overview: QueueOverview;
    /** runs of each execution id; an execution in `failing` throws */
    const runs = new Map<string, number>();
    const failing = new Set<string>();

    before(async function () {
      const q = make();
      if (!q) return skipLoudly(this, 'redis', 'TEST_REDIS_URL is not set');
      queue = q;
      db = await freshDatabase();
      pool = testPool(db.url, 4);
      await migrate(pool);
      store = new PgEventStore(pool, db.url);
      letters = new DeadLetters({ store, queue });
      overview = new QueueOverview({
        queue,
        labels: async () => ({ executions: new Map(), chats: new Map() }),
        settled: () => letters.settled(),
      });
      await queue.process<{ executionId: string }, void>(EXECUTION_QUEUE, async (job) => {
        const id = job.data.executionId;
        runs.set(id, (runs.get(id) ?? 0) + 1);
        if (failing.has(id)) throw new Error('database unreachable');
      });
    });
    after(async () => {
      await queue?.close();
      await store?.close();
      await pool?.end();
      await db?.drop();
    });

    const add = (executionId: string, jobId = `execution-${executionId}-1`) =>
      queue.add(EXECUTION_QUEUE, 'execution', { executionId, run: 1 }, { jobId });
    const ended = (jobId: string) =>
      waitFor(async () => {
        const s = (await queue.getJob(EXECUTION_QUEUE, jobId))?.state;
        return s === 'completed' || s === 'failed' ? s : undefined;
      }, 30_000);
    /** a job that fails on its one attempt */
    const deadLetter = async (): Promise<{ executionId: string; jobId: string }> => {
      const executionId = randomUUID();
      failing.add(executionId);
      const jobId = await add(executionId);
      expect(await ended(jobId)).to.equal('failed');
      return { executionId, jobId };
    };
    /** re-delivers the event that caused `jobId`, then waits for a later job: the queue took it in turn */
    const redeliver = async (executionId: string, jobId: string) => {
      await add(executionId, jobId);
      const after = randomUUID();
      expect(await ended(await add(after))).to.equal('completed');
    };
    const listed = async () => (await overview.deadLetters(100)).map((d) => d.job_id);

    it('retries a dead letter once under a new id, even asked ten times at once', async () => {
      const { executionId, jobId } = await deadLetter();
      expect(await listed()).to.include(jobId);
      failing.delete(executionId);

      const answers = await Promise.allSettled(
        Array.from({ length: 10 }, () => letters.retry(jobId, 'admin')),
      );
      const won = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      const lost = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as Error] : []));
      expect(won).to.deep.equal([{ old_job_id: jobId, new_job_id: `${jobId}-retry` }]);
      expect(lost).to.have.length(9);
      for (const err of lost) expect(err).to.be.instanceOf(IllegalStateError);

      expect(await ended(`${jobId}-retry`)).to.equal('completed');
      await redeliver(executionId, jobId);
      expect(runs.get(executionId)).to.equal(2); // the failed run and the one retry
      expect(await listed()).to.not.include(jobId);
      const again = await letters.retry(jobId, 'admin').catch((e: Error) => e);
      expect(again).to.be.instanceOf(IllegalStateError);
    });

    it('flushes the DLQ; a flushed job still keeps a re-delivered event from running', async () => {
      const a = await deadLetter();
      const b = await deadLetter();
      expect(await listed()).to.include.members([a.jobId, b.jobId]);
      const { flushed } = await letters.flush('admin');
      expect(flushed).to.be.at.least(2);
      expect(await listed()).to.deep.equal([]);
      expect((await overview.stats()).dlq).to.deep.equal({ size: 0 });

      await redeliver(a.executionId, a.jobId);
      expect(runs.get(a.executionId)).to.equal(1);
      expect(await letters.retry(b.jobId, 'admin').catch((e: Error) => e)).to.be.instanceOf(
        IllegalStateError,
      );
      expect(await letters.flush('admin')).to.deep.equal({ flushed: 0 });
    });

    it('names an unknown job, and refuses one that is not a dead letter', async () => {
      const missing = await letters.retry('no-such-job', 'admin').catch((e: Error) => e);
      expect(missing).to.have.property('field', 'job_id');
      expect(missing.constructor.name).to.equal('NotFoundError');
      const done = await add(randomUUID());
      expect(await ended(done)).to.equal('completed');
      expect(await letters.retry(done, 'admin').catch((e: Error) => e)).to.be.instanceOf(IllegalStateError);
    });
  });
}

deadLetterSuite('in-process queue', () => new InProcessQueue());
deadLetterSuite('BullMQ', () => {
  const url = redisUrl();
  return url ? new BullMqQueue({ url, prefix: `test-${randomUUID()}` }) : undefined;
});
