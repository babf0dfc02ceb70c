/**
 * `POST /api/v1/queue/jobs/{job_id}/cancel` (administrators, `sinas.system.update:all`; the
 * original's System page). A job here carries only the id of what it serves, and what it serves
 * decides: a function job cancels its execution through the execution's own Cancel command (an
 * event naming the administrator; a running sandbox is killed). A turn job is refused, since chats
 * are private to their owner, administrators included (the owner cancels with `POST
 * /chats/{id}/cancel`), and so is a purge, the platform's own clean-up. A job that has ended is a 409.
 */
import { asExecutionId } from '../commands/ids.js';
import type { ExecutionService } from '../commands/execution/execution-service.js';
import { IllegalStateError, NotFoundError } from '../errors.js';
import { ADMIN_QUEUES } from '../runtime/admin/queue-overview.js';
import type { JobInfo, JobQueue } from '../runtime/queue/job-queue.js';
import { principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import type { RouteRegistry } from './routes.js';

export interface QueueJobCancelDeps {
  readonly queue: Pick<JobQueue, 'getJob'>;
  readonly executions: Pick<ExecutionService, 'cancel'>;
}

type AdminQueue = keyof typeof ADMIN_QUEUES;

export function registerQueueJobCancelRoute(registry: RouteRegistry, d: QueueJobCancelDeps): void {
  registry.add({
    method: 'post',
    path: '/api/v1/queue/jobs/:job_id/cancel',
    access: { permission: () => 'sinas.system.update:all' },
    summary:
      "Cancel a queued or running function job (its execution is cancelled); a turn's job is its chat owner's",
    tags: ['Queue'],
    params: { job_id: { type: 'string', minLength: 1, maxLength: 200 } },
    responses: {
      200: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['cancelled'] },
          job_id: { type: 'string' },
          execution_id: { type: 'string' },
        },
      },
    },
    handler: async (req, res) => {
      const jobId = req.params.job_id as string;
      const { queue, job } = await findJob(d.queue, jobId);
      const executionId = servedExecution(queue, job);
      const p = principalOf(req);
      await d.executions.cancel(
        asExecutionId(executionId),
        { userId: p.userId, isAdmin: true, permissions: p.permissions },
        { commandId: commandIdOf(req) },
      );
      res.json({ status: 'cancelled', job_id: jobId, execution_id: executionId });
    },
  });
}

async function findJob(queue: QueueJobCancelDeps['queue'], jobId: string) {
  for (const name of Object.keys(ADMIN_QUEUES) as AdminQueue[]) {
    const job = await queue.getJob(ADMIN_QUEUES[name], jobId);
    if (job) return { queue: name, job };
  }
  throw new NotFoundError(`job ${jobId} not found`, 'job_id');
}

/** the execution a cancellable job serves, or why it cannot be cancelled here */
function servedExecution(queue: AdminQueue, job: JobInfo): string {
  if (job.state === 'completed' || job.state === 'failed')
    throw new IllegalStateError(`job ${job.id} already ended: ${job.state}`, 'job_id');
  switch (queue) {
    case 'functions': {
      const id = (job.data as { executionId?: unknown } | null)?.executionId;
      if (typeof id !== 'string') throw new IllegalStateError(`job ${job.id} names no execution`, 'job_id');
      return id;
    }
    case 'agents':
      throw new IllegalStateError(
        `job ${job.id} runs a chat turn: chats are private to their owner, who cancels it with POST /chats/{chat_id}/cancel`,
        'job_id',
      );
    case 'purges':
      throw new IllegalStateError(
        `job ${job.id} is the platform's own clean-up of an expired chat`,
        'job_id',
      );
    default: {
      const unreachable: never = queue;
      throw new Error(`unknown queue ${String(unreachable)}`);
    }
  }
}
