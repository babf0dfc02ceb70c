/**
 * What-if runs as jobs: one per run (the run id is the job id), run by the worker's WhatIfRunner. A
 * reactor in every worker enqueues the job of each WhatIfRequested, so a run requested from an
 * API-only process whose queue no worker reads (the in-process queue) still runs; where the API
 * process shares the queue with a worker it also enqueues directly, and the job id makes the two one.
 */
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
