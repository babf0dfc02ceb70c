/**
 * What a call the recording does not hold is answered with, by the run's policy: `fail` says it was
 * not recorded; a stub gives the request's value; `execute` runs it for real as the run's requester
 * (their permissions checked as in a real turn): a function as an execution, a connector, query or
 * other inline family's tool through that family, never a tool marked `requires_approval`. A
 * sub-agent call (a deferred family) is refused: it would run as a turn of a real chat.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { decodedStop, isStopped, type ExecutionService } from '../../commands/execution/execution-service.js';
import { asExecutionId } from '../../events/ids.js';
import type { ToolCallDetail, ToolCallPlan, ToolTarget } from '../../events/chat-events.js';
import { serializeResult } from '../turns/tools.js';
import { recordResult, runInline } from '../turns/family-tools.js';
import type { ToolChat, ToolFamily } from '../turns/tool-family.js';
import type { CandidateCall, UnrecordedPolicy } from './whatif-events.js';

export interface UnrecordedAnswer {
  readonly answered: CandidateCall['answered'];
  readonly result: string;
  /** a refused call: why */
  readonly reason?: string;
  /** an executed inline call: what it did, as a real turn's ToolCallCompleted records it (audit) */
  readonly detail?: ToolCallDetail;
}

export interface ExecuteDeps {
  readonly executions: ExecutionService;
  readonly requester: string;
  readonly runId: string;
  /** the families a real turn runs inline calls with */
  readonly families: readonly ToolFamily[];
  /** the replayed chat with the requester as its user: family calls run with their permissions */
  readonly chat: ToolChat;
  readonly log: Pick<Logger, 'warn'>;
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

const refuse = (message: string): UnrecordedAnswer => ({
  answered: 'refused',
  result: serializeResult({ error: 'Not run', message }),
  reason: message,
});

async function executed(plan: ToolCallPlan, deps: ExecuteDeps): Promise<UnrecordedAnswer> {
  if (!plan.arguments || plan.invalid || plan.builtin)
    return refuse(`Tool '${plan.name}' is not a tool this replay may run`);
  if (plan.requiresApproval)
    return refuse(`Tool '${plan.name}' requires approval, so a what-if replay never runs it`);
  if (plan.target) return familyCall(plan, plan.target, plan.arguments, deps);
  if (!plan.function) return refuse(`Tool '${plan.name}' is not a tool this replay may run`);
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

/** A call of an inline family, run as a real turn runs it; a sub-agent's (deferred) is refused. */
async function familyCall(
  plan: ToolCallPlan,
  target: ToolTarget,
  args: Readonly<Record<string, unknown>>,
  deps: ExecuteDeps,
): Promise<UnrecordedAnswer> {
  const family = deps.families.find((f) => f.family === target.family);
  if (!family) return refuse(`Tool '${plan.name}' is not available here`);
  if (family.deferred)
    return refuse(
      `Tool '${plan.name}' runs as a turn of another chat (a sub-agent), which would write a real chat, so a what-if replay never runs it`,
    );
  const run = { toolCallId: plan.id, target, arguments: args, signal: new AbortController().signal };
  const r = await runInline(family, run, deps.chat, deps.log);
  if (r.status === 'forbidden') return { answered: 'refused', result: r.result, reason: 'Not permitted' };
  return { answered: 'executed', result: r.result, ...(r.detail ? { detail: r.detail } : {}) };
}
