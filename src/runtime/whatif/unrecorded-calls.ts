/**
 * What a call the recording does not hold is answered with, by the run's policy: `fail` says it was
 * not recorded; a stub gives the request's value; `execute` runs a function for real as the run's
 * requester (their execute permission checked by the execution service), never one marked
 * `requires_approval` and never another family's tool, which are refused instead.
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { decodedStop, isStopped, type ExecutionService } from '../../commands/execution/execution-service.js';
import { asExecutionId } from '../../events/ids.js';
import type { ToolCallPlan } from '../../events/chat-events.js';
import { serializeResult } from '../turns/tools.js';
import { recordResult } from '../turns/family-tools.js';
import type { CandidateCall, UnrecordedPolicy } from './whatif-events.js';

export interface UnrecordedAnswer {
  readonly answered: CandidateCall['answered'];
  readonly result: string;
}

export interface ExecuteDeps {
  readonly executions: ExecutionService;
  readonly requester: string;
  readonly runId: string;
}

export async function answerUnrecorded(
  plan: ToolCallPlan,
  policy: UnrecordedPolicy,
  deps: ExecuteDeps,
): Promise<UnrecordedAnswer> {
  if (policy === 'fail')
    return {
      answered: 'not_recorded',
      result: serializeResult({
        error: 'Not recorded',
        message: `Tool '${plan.name}' was not called with these arguments in the recorded turn, and this what-if replay does not run it.`,
      }),
    };
  if (policy === 'execute') return executed(plan, deps);
  return { answered: 'stub', result: serializeResult(policy.stub) };
}

async function executed(plan: ToolCallPlan, deps: ExecuteDeps): Promise<UnrecordedAnswer> {
  const refuse = (message: string): UnrecordedAnswer => ({
    answered: 'refused',
    result: serializeResult({ error: 'Not run', message }),
  });
  if (!plan.function || !plan.arguments || plan.invalid)
    return refuse(`Tool '${plan.name}' is not a function this replay may run`);
  if (plan.requiresApproval)
    return refuse(`Tool '${plan.name}' requires approval, so a what-if replay never runs it`);
  const executionId = asExecutionId(randomUUID());
  try {
    await deps.executions.request(
      plan.function,
      plan.arguments,
      { type: 'API', id: `whatif-${deps.runId}` },
      { userId: deps.requester },
      { commandId: `whatif-${deps.runId}-${executionId}`, executionId },
    );
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof ValidationError || err instanceof NotFoundError)
      return refuse(err.message);
    throw err;
  }
  const loaded = await deps.executions.load(executionId);
  let s = isStopped(loaded.state) ? loaded.state : undefined;
  s ??= await deps.executions.waitForStop(
    executionId,
    loaded.revision,
    loaded.state.request.timeoutMs + 60_000,
  );
  if (!s) return { answered: 'executed', result: serializeResult({ error: 'Tool timed out' }) };
  const stop = decodedStop(s);
  if (stop.status === 'COMPLETED')
    return { answered: 'executed', result: recordResult(stop.output ?? null).result };
  return {
    answered: 'executed',
    result: serializeResult({ error: stop.error ?? `execution ${stop.status.toLowerCase()}` }),
  };
}
