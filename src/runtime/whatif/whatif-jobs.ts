/** What-if runs as jobs: one per run (the run id is the job id), run by the worker's WhatIfRunner. */
import type { JobQueue } from '../queue/job-queue.js';
import type { WhatIfRunner } from './whatif-runner.js';

export const WHATIF_QUEUE = 'whatif';

export function enqueueWhatIf(queue: JobQueue, runId: string): Promise<string> {
  return queue.add(WHATIF_QUEUE, 'whatif', { runId }, { jobId: `whatif-${runId}`, attempts: 3 });
}

export async function startWhatIfWorkers(queue: JobQueue, runner: WhatIfRunner): Promise<void> {
  await queue.process<{ runId: string }, void>(WHATIF_QUEUE, (job) => runner.run(job.data.runId), {
    concurrency: 2,
  });
}
