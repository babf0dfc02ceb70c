/**
 * Retrying and flushing dead letters (the original's `/queue/dlq/{job_id}/retry`, `/queue/dlq/flush`)
 * without losing what a failed job's id guarantees: a job's id is derived from the event that caused
 * it, and a job still in the queue (failed ones included) makes a re-delivered event's `add` a
 * no-op. So nothing here deletes a job. Each dead letter is settled once, by an event on its own
 * stream `dlq-<job id>` appended only while that stream does not exist: `DeadLetterRetried` (the
 * job is enqueued again under the derived id `<job id>-retry`, one run) or `DeadLetterFlushed`.
 * Of concurrent calls one appends and the others find the stream there (a 409). The DLQ view
 * leaves out the settled ones; the failed jobs stay in the queue as far as its retention keeps them.
 */
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, IllegalStateError, NotFoundError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import { streamName } from '../../events/stream-names.js';
import type { JobInfo, JobQueue } from '../queue/job-queue.js';
import { ADMIN_QUEUES } from './queue-overview.js';

const CATEGORY = 'dlq';
/** failed jobs per queue a flush looks at (the queues' retention keeps 5000) */
const FLUSH_SCAN = 5000;

export interface DeadLettersDeps {
  readonly store: EventStore;
  readonly queue: Pick<JobQueue, 'getJob' | 'add' | 'list' | 'assertAvailable'>;
}

export class DeadLetters {
  constructor(private readonly d: DeadLettersDeps) {}

  /** the ids of the dead letters retried or flushed */
  async settled(): Promise<ReadonlySet<string>> {
    const events = await this.d.store.readAll({ filter: { categories: [CATEGORY] } });
    return new Set(events.map((e) => String((e.data as { jobId?: unknown }).jobId)));
  }

  async retry(jobId: string, actor: string): Promise<{ old_job_id: string; new_job_id: string }> {
    const { queue, job } = await this.find(jobId);
    if (job.state !== 'failed')
      throw new IllegalStateError(`job ${jobId} is not a dead letter: it is ${job.state}`, 'job_id');
    this.d.queue.assertAvailable(); // no claim that an outage then leaves without its job
    const newJobId = `${jobId}-retry`;
    await this.claim(jobId, 'DeadLetterRetried', { queue, newJobId }, actor);
    await this.d.queue.add(queue, job.name, job.data, { jobId: newJobId, attempts: 1 });
    return { old_job_id: jobId, new_job_id: newJobId };
  }

  /** Settles every dead letter not settled yet as flushed; answers how many it settled. */
  async flush(actor: string): Promise<{ flushed: number }> {
    const settled = await this.settled();
    let flushed = 0;
    for (const queue of Object.values(ADMIN_QUEUES)) {
      for (const job of await this.d.queue.list(queue, ['failed'], FLUSH_SCAN)) {
        if (settled.has(job.id)) continue;
        try {
          await this.claim(job.id, 'DeadLetterFlushed', { queue }, actor);
          flushed++;
        } catch (err) {
          if (!(err instanceof IllegalStateError)) throw err; // else a concurrent retry or flush had it
        }
      }
    }
    return { flushed };
  }

  private async claim(jobId: string, type: string, data: Record<string, unknown>, actor: string) {
    const id = randomUUID();
    const metadata = { correlationId: id, causationId: id, actor, version: 1 };
    try {
      await this.d.store.append(
        streamName(CATEGORY, jobId),
        [{ id, type, data: { jobId, ...data }, metadata }],
        'no_stream',
      );
    } catch (err) {
      if (err instanceof ConcurrencyError)
        throw new IllegalStateError(`dead letter ${jobId} was already retried or flushed`, 'job_id');
      throw err;
    }
  }

  private async find(jobId: string): Promise<{ queue: string; job: JobInfo }> {
    for (const queue of Object.values(ADMIN_QUEUES)) {
      const job = await this.d.queue.getJob(queue, jobId);
      if (job) return { queue, job };
    }
    throw new NotFoundError(`job ${jobId} not found`, 'job_id');
  }
}
