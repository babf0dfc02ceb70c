/**
 * The JobQueue contract: every adapter runs this suite, each test on a fresh adapter instance
 * and a fresh queue name. Times are only ever compared to lower bounds.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { IllegalStateError, ValidationError } from '../../src/errors.js';
import type { JobContext, JobEvent, JobQueue } from '../../src/runtime/queue/job-queue.js';

/** Slack for timer granularity when checking that a wait lasted at least `ms`. */
const SLACK_MS = 10;

export function jobQueueContract(make: (o?: { stopGraceMs?: number }) => JobQueue): void {
  let jobs: JobQueue;
  let queue: string;

  beforeEach(function () {
    jobs = make();
    queue = `q-${randomUUID()}`;
  });
  afterEach(async function () {
    await jobs?.close();
  });

  const settled = (id: string) =>
    waitFor(async () => {
      const info = await jobs.getJob(queue, id);
      return info?.state === 'completed' || info?.state === 'failed' ? info : undefined;
    });

  it('runs a job and keeps its return value', async function () {
    const seen: JobContext[] = [];
    await jobs.process<{ x: number }, number>(queue, async (job) => (seen.push(job), job.data.x * 2));
    const id = await jobs.add(queue, 'double', { x: 21 });
    const info = await settled(id);
    expect(info).to.include({ id, name: 'double', state: 'completed', attemptsMade: 1, returnvalue: 42 });
    expect(seen.map(({ id, name, data, attemptsMade }) => ({ id, name, data, attemptsMade }))).to.deep.equal([
      { id, name: 'double', data: { x: 21 }, attemptsMade: 0 },
    ]);
  });

  it('deduplicates a job id while it waits and after it completed', async function () {
    const seen: unknown[] = [];
    expect(await jobs.add(queue, 'once', { n: 1 }, { jobId: 'evt-1' })).to.equal('evt-1');
    expect(await jobs.add(queue, 'once', { n: 2 }, { jobId: 'evt-1' })).to.equal('evt-1');
    await jobs.process(queue, async (job) => void seen.push(job.data));
    await settled('evt-1');
    expect(await jobs.add(queue, 'once', { n: 3 }, { jobId: 'evt-1' })).to.equal('evt-1');
    await sleep(150);
    expect(seen).to.deep.equal([{ n: 1 }]);
    expect(await jobs.getJob(queue, 'evt-1')).to.include({ state: 'completed', attemptsMade: 1 });
  });

  it('says when a job finished, so jobs of one subject can be ordered by their end', async function () {
    expect(await jobs.add(queue, 'later', {}, { jobId: 'unrun', delayMs: 60_000 })).to.equal('unrun');
    await jobs.process(queue, async (job) => {
      if (job.id === 'second') throw new Error('no');
    });
    await jobs.add(queue, 'x', {}, { jobId: 'first' });
    const first = await settled('first');
    await jobs.add(queue, 'x', {}, { jobId: 'second' });
    const second = await settled('second');
    expect(first.finishedOn).to.be.a('number');
    expect(second).to.include({ state: 'failed' });
    expect(second.finishedOn).to.be.at.least(first.finishedOn!);
    expect((await jobs.getJob(queue, 'unrun'))?.finishedOn).to.equal(undefined);
  });

  it('refuses job ids that are integers or contain a colon', async function () {
    for (const jobId of ['42', 'a:b', '']) {
      const err = await rejection(jobs.add(queue, 'x', {}, { jobId }));
      expect(err, jobId).to.be.instanceOf(ValidationError).and.include({ field: 'jobId' });
    }
  });

  it('retries a failing job exactly `attempts` times with a fixed backoff, then fails it', async function () {
    const runs: { at: number; attemptsMade: number }[] = [];
    const events = record(jobs);
    await jobs.process(queue, async (job) => {
      runs.push({ at: Date.now(), attemptsMade: job.attemptsMade });
      throw new Error(`boom ${runs.length}`);
    });
    const id = await jobs.add(queue, 'flaky', {}, { attempts: 3, backoff: { type: 'fixed', delayMs: 100 } });
    const info = await settled(id);
    // the queue reports failures as it records them, maybe after settled() saw the job end: wait for the last
    await waitFor(() => events.some((e) => e.type === 'failed' && e.jobId === id && e.final) || undefined);
    expect(info).to.include({ state: 'failed', attemptsMade: 3, failedReason: 'boom 3' });
    expect(runs.map((r) => r.attemptsMade)).to.deep.equal([0, 1, 2]);
    expect(gaps(runs)).to.satisfy(
      (g: number[]) => g.every((ms) => ms >= 100 - SLACK_MS),
      `gaps ${gaps(runs)}`,
    );
    const failed = events.filter((e) => e.type === 'failed' && e.jobId === id);
    expect(failed.map((e) => e.type === 'failed' && [e.attemptsMade, e.final])).to.deep.equal([
      [1, false],
      [2, false],
      [3, true],
    ]);
  });

  it('doubles the wait between runs with an exponential backoff', async function () {
    const runs: { at: number }[] = [];
    await jobs.process(queue, async () => {
      runs.push({ at: Date.now() });
      throw new Error('always');
    });
    const id = await jobs.add(
      queue,
      'flaky',
      {},
      { attempts: 3, backoff: { type: 'exponential', delayMs: 80 } },
    );
    await settled(id);
    const [first, second] = gaps(runs);
    expect(first, 'first wait').to.be.at.least(80 - SLACK_MS);
    expect(second, 'second wait').to.be.at.least(160 - SLACK_MS);
  });

  it('completes a job on a retry after a failed run', async function () {
    await jobs.process(queue, async (job) => {
      if (job.attemptsMade === 0) throw new Error('first run fails');
      return 'ok';
    });
    const id = await jobs.add(queue, 'flaky', {}, { attempts: 3 });
    expect(await settled(id)).to.include({ state: 'completed', attemptsMade: 2, returnvalue: 'ok' });
  });

  it('does not run a delayed job before its delay', async function () {
    let ranAt = 0;
    await jobs.process(queue, async () => void (ranAt = Date.now()));
    const addedAt = Date.now();
    const id = await jobs.add(queue, 'later', {}, { delayMs: 250 });
    expect(await jobs.getJob(queue, id)).to.include({ state: 'delayed' });
    await settled(id);
    expect(ranAt - addedAt).to.be.at.least(250 - SLACK_MS);
  });

  it('never runs more handlers at once than the concurrency', async function () {
    let active = 0;
    let most = 0;
    let started = 0;
    await jobs.process(
      queue,
      async () => {
        most = Math.max(most, ++active);
        started++;
        // each run holds its slot until three run at once (or no more are coming), however busy the machine
        await waitFor(() => active >= 3 || started === 10 || undefined, 30_000);
        await sleep(10);
        active--;
      },
      { concurrency: 3 },
    );
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => jobs.add(queue, 'work', { i })));
    for (const id of ids) expect(await settled(id)).to.include({ state: 'completed' });
    expect(most).to.equal(3);
  });

  it('fires an interval schedule repeatedly and stops after its removal', async function () {
    const runs: JobContext[] = [];
    await jobs.process(queue, async (job) => void runs.push(job));
    await jobs.upsertSchedule(queue, 'tick', { everyMs: 100 }, { name: 'tick', data: { v: 1 } });
    await waitFor(() => runs.length >= 3 || undefined);
    expect(await jobs.removeSchedule(queue, 'tick')).to.equal(true);
    const atRemoval = runs.length;
    await sleep(400);
    expect(runs.length, 'runs after removal').to.be.at.most(atRemoval + 1);
    expect(new Set(runs.map((r) => r.id)).size).to.equal(runs.length);
    expect(runs.every((r) => r.name === 'tick' && (r.data as { v: number }).v === 1)).to.equal(true);
    expect(await jobs.removeSchedule(queue, 'tick')).to.equal(false);
  });

  it('fires a cron schedule more than once', async function () {
    const runs: number[] = [];
    await jobs.process(queue, async () => void runs.push(Date.now()));
    await jobs.upsertSchedule(queue, 'every-second', { cron: '* * * * * *', tz: 'UTC' }, { name: 'tick' });
    await waitFor(() => runs.length >= 2 || undefined, 5000);
    await jobs.removeSchedule(queue, 'every-second');
    expect(runs[1]! - runs[0]!).to.be.at.least(500);
  });

  it('replaces a schedule on upsert', async function () {
    const seen: unknown[] = [];
    await jobs.process(queue, async (job) => void seen.push(job.data));
    await jobs.upsertSchedule(queue, 's', { everyMs: 60_000 }, { name: 'tick', data: { v: 1 } });
    await jobs.upsertSchedule(queue, 's', { everyMs: 80 }, { name: 'tick', data: { v: 2 } });
    await waitFor(() => seen.filter((d) => (d as { v: number }).v === 2).length >= 2 || undefined);
    await jobs.removeSchedule(queue, 's');
    expect(seen.filter((d) => (d as { v: number }).v === 1).length).to.be.at.most(1);
  });

  it('refuses an invalid cron schedule', async function () {
    const err = await rejection(jobs.upsertSchedule(queue, 's', { cron: 'not a cron' }, { name: 'x' }));
    expect(err).to.be.instanceOf(ValidationError).and.include({ field: 'cron' });
  });

  it('close waits for a running handler, then refuses new jobs', async function () {
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    await jobs.process(queue, async () => {
      started();
      await sleep(200);
      finished = true;
    });
    await jobs.add(queue, 'slow', {});
    await running;
    await jobs.close();
    expect(finished, 'handler finished before close resolved').to.equal(true);
    expect(await rejection(jobs.add(queue, 'late', {}))).to.be.instanceOf(IllegalStateError);
  });

  it('close lets a handler that never finishes go after its grace (a stop never hangs on one)', async function () {
    const q = make({ stopGraceMs: 200 });
    try {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      await q.process(queue, async () => {
        started();
        await new Promise(() => {}); // a model that never answers
      });
      await q.add(queue, 'stuck', {});
      await running;
      await q.close();
      expect(await rejection(q.add(queue, 'late', {}))).to.be.instanceOf(IllegalStateError);
    } finally {
      await q.close();
    }
  });

  it('counts the jobs of a queue in each state, failed ones (its dead letters) included', async function () {
    expect(await jobs.counts(queue)).to.deep.equal({
      waiting: 0,
      delayed: 0,
      active: 0,
      completed: 0,
      failed: 0,
    });
    await jobs.add(queue, 'ok', { fail: false }, { jobId: 'c-ok' });
    await jobs.add(queue, 'bad', { fail: true }, { jobId: 'c-bad' });
    await jobs.add(queue, 'later', { fail: false }, { delayMs: 60_000 });
    expect(await jobs.counts(queue)).to.include({ waiting: 2, delayed: 1, completed: 0 });
    await jobs.process<{ fail: boolean }, void>(queue, async (job) => {
      if (job.data.fail) throw new Error('boom');
    });
    await settled('c-ok');
    await settled('c-bad');
    expect(await jobs.counts(queue)).to.deep.equal({
      waiting: 0,
      delayed: 1,
      active: 0,
      completed: 1,
      failed: 1,
    });
  });

  it('lists the jobs in the states asked for, newest first, up to the limit', async function () {
    await jobs.add(queue, 'first', { n: 1 }, { jobId: 'l-1' });
    await jobs.add(queue, 'bad', { fail: true }, { jobId: 'l-bad', attempts: 2 });
    const addedBad = Date.now();
    await waitFor(() => Date.now() > addedBad || undefined); // so the next one is strictly newer
    await jobs.add(queue, 'later', { n: 3 }, { jobId: 'l-later', delayMs: 60_000 });
    expect((await jobs.list(queue, ['waiting'], 10)).map((j) => j.id)).to.have.members(['l-1', 'l-bad']);
    await jobs.process<{ fail?: boolean }, void>(queue, async (job) => {
      if (job.data.fail) throw new Error('no luck');
    });
    await settled('l-1');
    await settled('l-bad');
    const failed = await jobs.list(queue, ['failed'], 10);
    expect(failed).to.have.length(1);
    expect(failed[0]).to.include({
      id: 'l-bad',
      name: 'bad',
      state: 'failed',
      attemptsMade: 2,
      failedReason: 'no luck',
    });
    expect(failed[0]!.addedAt).to.be.a('number').and.at.most(Date.now());
    const all = await jobs.list(queue, ['waiting', 'delayed', 'active', 'completed', 'failed'], 10);
    expect(all.map((j) => [j.id, j.state])).to.have.deep.members([
      ['l-1', 'completed'],
      ['l-bad', 'failed'],
      ['l-later', 'delayed'],
    ]);
    const times = all.map((j) => j.addedAt);
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    expect(all[0]!.id, 'the newest first').to.equal('l-later');
    expect(await jobs.list(queue, ['completed', 'failed', 'delayed'], 2)).to.have.length(2);
  });

  it('names the workers taking jobs of a queue, with their concurrency and process', async function () {
    expect(await jobs.workers(queue)).to.deep.equal([]);
    const before = Date.now();
    await jobs.process(queue, async () => undefined, { concurrency: 4 });
    const workers = await waitFor(async () => {
      const found = await jobs.workers(queue);
      return found.length > 0 ? found : undefined;
    });
    expect(workers).to.have.length(1);
    expect(workers[0]).to.include({ queue, concurrency: 4, pid: process.pid, host: hostname() });
    expect(workers[0]!.id).to.be.a('string').and.not.equal('');
    expect(workers[0]!.startedAt)
      .to.be.at.least(before - 2000)
      .and.at.most(Date.now());
    await jobs.close();
    const other = make();
    try {
      expect(await other.workers(queue), 'gone once closed').to.deep.equal([]);
    } finally {
      await other.close();
    }
  });

  it('returns undefined for an unknown job', async function () {
    expect(await jobs.getJob(queue, 'nope')).to.equal(undefined);
  });
}

function record(jobs: JobQueue): JobEvent[] {
  const events: JobEvent[] = [];
  jobs.events.subscribe((e) => events.push(e));
  return events;
}

function gaps(runs: readonly { at: number }[]): number[] {
  return runs.slice(1).map((r, i) => r.at - runs[i]!.at);
}

export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}
