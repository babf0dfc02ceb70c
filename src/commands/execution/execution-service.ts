/**
 * Execution use cases: request a run of a function (input checked against its `input_schema`),
 * continue a paused one, cancel, read its state, and wait for its next stop (paused or ended).
 * Requesting and continuing both run code, so both go through the execute policy: whatever
 * triggers a run (the API, a tool call, a hook, a webhook or schedule later) is checked here.
 */
import { filter, firstValueFrom, map, merge, timer } from 'rxjs';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import {
  EXECUTION_TERMINAL_EVENTS as TERMINAL_EVENTS,
  type ExecutionRequestedData,
  type TriggerType,
} from '../../events/execution-events.js';
import { newExecutionId, type ExecutionId } from '../../events/ids.js';
import { decodeText, decodeValue } from '../../events/lossless-text.js';
import { streams } from '../../events/stream-names.js';
import { upcast } from '../../events/upcasters.js';
import { coerceAndValidateInput } from '../chat/chat-input.js';
import { foldRecorded, type CommandContext, type CommandHandler } from '../command-handler.js';
import type { ResourceService } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';
import type { PermissionMap } from '../identity/permissions.js';
import type { ExecutePolicy } from './execute-policy.js';
import { executionDecider, TERMINAL, type ExecutionState } from './execution-decider.js';

export type PresentExecution = Exclude<ExecutionState, { status: 'ABSENT' }>;

export interface Trigger {
  readonly type: TriggerType;
  readonly id: string;
  readonly chatId?: string | null;
  readonly toolCallId?: string | null;
  readonly hook?: ExecutionRequestedData['hook'];
}

export interface Caller {
  readonly userId: string;
  readonly email?: string | null;
  /** may see and cancel everyone's executions (`sinas.executions.<action>:all`) */
  readonly isAdmin?: boolean;
  /** what the request holds (an API key's map); without it, the user's roles' permissions now */
  readonly permissions?: PermissionMap;
}

export interface Requested {
  readonly executionId: ExecutionId;
  readonly revision: bigint;
  readonly position: bigint | undefined;
}

export class ExecutionService {
  constructor(
    private readonly handler: CommandHandler,
    private readonly store: EventStore,
    private readonly functions: ResourceService,
    private readonly policy: ExecutePolicy,
    private readonly defaultTimeoutMs: number,
    /** starts the run's job at once (the reactor would too, a little later; the job id dedupes) */
    private readonly afterChange: (executionId: ExecutionId, run: number) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Checks the caller may execute the function (ForbiddenError), validates the input
   * (ValidationError naming `input.<path>`), then records the request.
   */
  async request(
    fn: { namespace: string; name: string },
    input: unknown,
    trigger: Trigger,
    caller: Caller,
    ctx: Omit<CommandContext, 'actor'> & { executionId?: ExecutionId },
  ): Promise<Requested> {
    const spec = await this.functions.at(fn.namespace, fn.name);
    if (spec.status !== 'active') throw new NotFoundError(`function '${fn.namespace}/${fn.name}' not found`);
    await this.policy.check(caller, spec);
    const checked = coerceAndValidateInput(
      (spec.spec.input_schema ?? {}) as JSONSchema,
      (input ?? {}) as Record<string, unknown>,
    );
    const executionId = ctx.executionId ?? newExecutionId();
    const timeoutS = spec.spec.timeout as number | null | undefined;
    const r = await this.handler.handle(
      executionDecider,
      streams.execution(executionId),
      {
        type: 'RequestExecution',
        executionId,
        function: { namespace: spec.namespace, name: spec.name, id: spec.id, version: spec.version },
        userId: caller.userId,
        userEmail: caller.email ?? null,
        input: checked,
        triggerType: trigger.type,
        triggerId: trigger.id,
        chatId: trigger.chatId ?? null,
        toolCallId: trigger.toolCallId ?? null,
        ...(trigger.hook ? { hook: trigger.hook } : {}),
        timeoutMs: timeoutS ? timeoutS * 1000 : this.defaultTimeoutMs,
        sharedPool: spec.spec.shared_pool === true,
        at: this.now().toISOString(),
      },
      { ...ctx, actor: caller.userId },
    );
    if (!r.duplicate) this.afterChange(executionId, 1);
    return { executionId, revision: r.revision!, position: r.position };
  }

  /**
   * Answers a paused execution's input() and starts its next run: only the user who started it may
   * (an administrator would be answering as someone else), and only while they may still execute
   * the function at the version it runs.
   */
  async resume(
    executionId: ExecutionId,
    answer: unknown,
    caller: Caller,
    ctx: Omit<CommandContext, 'actor'>,
  ) {
    const { request } = await this.owned(executionId, caller);
    if (request.userId !== caller.userId)
      throw new ForbiddenError('only the user who started an execution may continue it');
    const { namespace, name, version } = request.function;
    await this.policy.check(caller, await this.functions.at(namespace, name, version));
    const r = await this.handler.handle(
      executionDecider,
      streams.execution(executionId),
      { type: 'Resume', answer, by: caller.userId, at: this.now().toISOString() },
      { ...ctx, actor: caller.userId },
    );
    const s = r.state as PresentExecution;
    if (!r.duplicate) this.afterChange(executionId, s.runs + 1); // a replayed resume's run is under way
    return { revision: r.revision!, position: r.position };
  }

  async cancel(executionId: ExecutionId, caller: Caller, ctx: Omit<CommandContext, 'actor'>) {
    await this.owned(executionId, caller);
    const r = await this.handler.handle(
      executionDecider,
      streams.execution(executionId),
      { type: 'Cancel', by: caller.userId, at: this.now().toISOString() },
      { ...ctx, actor: caller.userId },
    );
    return { state: r.state as PresentExecution, position: r.position };
  }

  /** The execution folded from its stream, optionally only up to `asOf` (a stream revision). */
  async load(
    executionId: ExecutionId,
    asOf?: number,
  ): Promise<{ state: PresentExecution; revision: bigint }> {
    const events = await this.store.readStream(streams.execution(executionId), {
      ...(asOf !== undefined ? { fromRevision: 0n, maxCount: asOf + 1 } : {}),
    });
    const { state, revision } = foldRecorded(executionDecider, events.map(upcast));
    if (state.status === 'ABSENT') throw new NotFoundError('execution not found');
    return { state, revision: revision! };
  }

  /** Someone else's execution is a 404 to a non-admin (its existence is not revealed). */
  async owned(executionId: ExecutionId, caller: Caller): Promise<PresentExecution> {
    const { state } = await this.load(executionId);
    if (!caller.isAdmin && state.request.userId !== caller.userId)
      throw new NotFoundError('execution not found');
    return state;
  }

  /**
   * Resolves once the execution stops after `afterRevision` — paused for input or ended — or with
   * undefined after `timeoutMs`.
   */
  async waitForStop(
    executionId: ExecutionId,
    afterRevision: bigint,
    timeoutMs: number,
  ): Promise<PresentExecution | undefined> {
    const stream = streams.execution(executionId);
    const stops = ['ExecutionAwaitingInput', ...TERMINAL_EVENTS];
    const stopped = this.store.subscribeToStream(stream, { afterRevision }).pipe(
      filter((e) => stops.includes(e.type)),
      map(() => true),
    );
    const done = await firstValueFrom(merge(stopped, timer(timeoutMs).pipe(map(() => false))), {
      defaultValue: false,
    });
    if (!done) return undefined;
    return (await this.load(executionId)).state;
  }
}

export const isStopped = (s: PresentExecution) =>
  s.status === 'AWAITING_INPUT' || TERMINAL.includes(s.status);

/**
 * A stop as its caller is told it: what the code returned, asked or failed with, decoded from the
 * form it was stored in (lossless-text: the worker encodes what Postgres cannot hold).
 */
export const decodedStop = (s: PresentExecution): PresentExecution => ({
  ...s,
  prompt: s.prompt === null ? null : decodeText(s.prompt),
  ...(s.output !== undefined ? { output: decodeValue(s.output) } : {}),
  ...(s.error !== undefined ? { error: decodeText(s.error) } : {}),
});
