/**
 * The admin queue views over a real job queue (the in-process adapter; the BullMQ adapter gives the
 * port the same answers, test/int/job-queue.contract.ts): dead letters are the jobs that failed on
 * every attempt, statuses in the original's words, names from the read models, never the payload.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { QueueOverview } from '../../src/runtime/admin/queue-overview.js';
import { EXECUTION_QUEUE } from '../../src/runtime/functions/execution-jobs.js';
import { InProcessQueue } from '../../src/runtime/queue/in-process-queue.js';
import { TURN_QUEUE } from '../../src/runtime/turns/turn-jobs.js';
import { waitFor } from './job-queue.contract.js';

describe('queue overview (the admin queue views)', function () {
  let queue: InProcessQueue;
  let overview: QueueOverview;
  const executionId = randomUUID();
  const chatId = randomUUID();
  beforeEach(() => {
    queue = new InProcessQueue();
    overview = new QueueOverview({
      queue,
      labels: async () => ({
        executions: new Map([[executionId, { function: 'fx/add', trigger_type: 'API' }]]),
        chats: new Map([[chatId, 'support/bot']]),
      }),
    });
  });
  afterEach(() => queue.close());

  it('shows a job that failed on every attempt as a dead letter, with its error and attempts', async () => {
    await queue.process(EXECUTION_QUEUE, async () => {
      throw new Error('database unreachable');
    });
    const id = await queue.add(
      EXECUTION_QUEUE,
      'execution',
      { executionId, run: 1, secret: 'payload' },
      {
        attempts: 2,
      },
    );
    await waitFor(async () =>
      (await queue.getJob(EXECUTION_QUEUE, id))?.state === 'failed' ? true : undefined,
    );
    expect(await overview.deadLetters(10)).to.deep.equal([
      {
        job_id: id,
        queue: 'functions',
        function: 'fx/add',
        agent: null,
        execution_id: executionId,
        chat_id: null,
        error: 'database unreachable',
        attempts: 2,
      },
    ]);
    const stats = await overview.stats();
    expect(stats.dlq).to.deep.equal({ size: 1 });
    expect(stats.jobs).to.deep.equal({ queued: 0, running: 0, completed: 0, failed: 1, cancelled: 0 });
    const [failed] = await overview.jobs('failed', 50);
    expect(failed).to.include({
      status: 'failed',
      queue: 'functions',
      function: 'fx/add',
      trigger_type: 'API',
    });
    expect(JSON.stringify(await overview.jobs(undefined, 50))).not.to.contain('payload');
    expect(await overview.jobs('cancelled', 50)).to.deep.equal([]);
  });

  it("counts waiting jobs as the queue's pending ones and names a turn's agent", async () => {
    await queue.add(TURN_QUEUE, 'turn', { chatId, turnId: 't1' }, { jobId: `turn-${chatId}-t1` });
    await queue.add(
      TURN_QUEUE,
      'turn',
      { chatId, turnId: 't1' },
      { jobId: `turn-${chatId}-t1-wake-c1`, delayMs: 60_000 },
    );
    const stats = await overview.stats();
    expect(stats.queues).to.deep.include({ agents: { pending: 2 }, functions: { pending: 0 } });
    expect(stats.jobs.queued).to.equal(2);
    const jobs = await overview.jobs('queued', 50);
    expect(jobs.map((j) => [j.type, j.agent, j.chat_id, j.status])).to.have.deep.members([
      ['message', 'support/bot', chatId, 'queued'],
      ['resume', 'support/bot', chatId, 'queued'],
    ]);
    expect(await overview.jobs('queued', 1)).to.have.length(1);
  });

  it("lists each queue's workers with their concurrency, in the original's queue names", async () => {
    await queue.process(EXECUTION_QUEUE, async () => undefined, { concurrency: 3 });
    await queue.process(TURN_QUEUE, async () => undefined, { concurrency: 5 });
    const workers = await overview.workers();
    expect(workers.map((w) => [w.queue, w.max_jobs, w.pid])).to.deep.equal([
      ['agents', 5, process.pid],
      ['functions', 3, process.pid],
    ]);
    expect(workers[0]!.started_at).to.be.at.most(Date.now() / 1000);
  });
});
