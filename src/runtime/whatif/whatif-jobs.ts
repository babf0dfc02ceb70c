/**
 * What-if runs as jobs: one per run (the run id is the job id), run by the worker's WhatIfRunner. A
 * reactor in every worker enqueues the job of each WhatIfRequested, so a run requested from an
 * API-only process whose queue no worker reads (the in-process queue) still runs; where the API
 * process shares the queue with a worker it also enqueues directly, and the job id makes the two one.
 * A sweep enqueues again every run that has not ended (the in-process queue loses its jobs when
 * the worker dies); the runner goes on after the chats already reported.
 */
import type { EventStore } from '../../events/event-store.js';
import type { Projection } from '../../projections/projection.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { WhatIfRunner } from './whatif-runner.js';

export const WHATIF_QUEUE = 'whatif';

export function enqueueWhatIf(queue: JobQueue, runId: string): Promise<string> {
  return queue.add(WHATIF_QUEUE, 'whatif', { runId }, { jobId: `whatif-${runId}`, attempts: 3 });
}

/** A projection without tables: its "rows" are jobs; its checkpoint says which runs were enqueued. */
export function whatIfReactor(queue: JobQueue): Projection {
  return {
    name: 'reactor_whatif',
    version: 1,
    filter: { categories: ['whatif'], eventTypes: ['WhatIfRequested'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, events) {
      for (const e of events) await enqueueWhatIf(queue, (e.data as { runId: string }).runId);
    },
  };
}

export async function startWhatIfWorkers(queue: JobQueue, runner: WhatIfRunner): Promise<void> {
  await queue.process<{ runId: string }, void>(WHATIF_QUEUE, (job) => runner.run(job.data.runId), {
    concurrency: 2,
  });
}

/** Enqueues the job of every run requested and not ended (a job still there makes it a no-op); how many. */
export async function sweepWhatIfRuns(store: EventStore, queue: JobQueue): Promise<number> {
  const events = await store.readAll({
    filter: { categories: ['whatif'], eventTypes: ['WhatIfRequested', 'WhatIfCompleted', 'WhatIfFailed'] },
    maxCount: 1_000_000,
  });
  const open = new Set<string>();
  for (const e of events) {
    const runId = e.streamName.slice('whatif-'.length);
    if (e.type === 'WhatIfRequested') open.add(runId);
    else open.delete(runId);
  }
  for (const runId of open) await enqueueWhatIf(queue, runId);
  return open.size;
}
