/**
 * Runs one step of an execution in a worker job (DESIGN §7): record the run's start, run the
 * function at the version the request named, check its output, record the outcome. A job that finds
 * its run already started knows the worker before it died mid-run: it records the run as failed and
 * never runs it again (a run may have had side effects).
 */
import { filter } from 'rxjs';
import { executionDecider } from '../../commands/execution/execution-decider.js';
import type { ExecutionService, PresentExecution } from '../../commands/execution/execution-service.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { validate, type JSONSchema } from '../../commands/validation.js';
import { IllegalStateError, ValidationError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import type { ExecutionId } from '../../events/ids.js';
import { encodeText, encodeValue } from '../../events/lossless-text.js';
import { streams } from '../../events/stream-names.js';
import { WORKER_ID } from './execution-jobs.js';
import {
  isolationKey,
  type FunctionContext,
  type FunctionRunner,
  type RunOutcome,
} from './function-runner.js';
import type { ContextSecrets } from '../secrets/secret-vault.js';

export interface ExecutionWorkerDeps {
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly executions: ExecutionService;
  readonly functions: ResourceService;
  /** adds SINAS_SHARED_POOL_SECRETS under the secrets given here, for shared-pool runs only */
  readonly runner: FunctionRunner;
  /** the secrets a shared-pool run of this user gets, decrypted at run time */
  readonly secrets: { forUser(userId: string): Promise<ContextSecrets> };
  /** the triggering user's email and a fresh access token for a run of `timeoutMs` */
  readonly runAs: (
    userId: string,
    timeoutMs: number,
  ) => Promise<{ email: string | null; accessToken: string }>;
}

export const ABANDONED =
  'the run was interrupted before it reported an outcome (its worker or container stopped); it is not re-run because it may have had side effects';

export class ExecutionWorker {
  constructor(private readonly d: ExecutionWorkerDeps) {}

  /** Runs the execution's `run`-th run (1 for the request, n+1 after the n-th resume). */
  async run(executionId: ExecutionId, run: number): Promise<void> {
    const stream = streams.execution(executionId);
    const { state } = await this.d.executions.load(executionId);
    if (state.status === 'RUNNING' && state.runs === run) {
      await this.d.handler
        .handle(
          executionDecider,
          stream,
          { type: 'AbandonRun', run: state.runs, reason: ABANDONED, at: new Date().toISOString() },
          { commandId: `execution-${executionId}-abandon-${state.runs}`, actor: 'system' },
        )
        .catch(ignoreStale);
      return;
    }
    if (state.status !== 'PENDING' || state.runs + 1 !== run) return; // done already, or not yet its turn
    const started = await this.d.handler
      .handle(
        executionDecider,
        stream,
        { type: 'StartRun', worker: WORKER_ID, at: new Date().toISOString() },
        { commandId: `execution-${executionId}-start-${run}`, actor: 'system' },
      )
      .catch((err) => (err instanceof IllegalStateError ? undefined : Promise.reject(err)));
    if (!started || started.duplicate) return;
    const cancel = this.watchCancel(executionId, started.revision!);
    let outcome: RunOutcome;
    try {
      outcome = await this.execute(state, cancel.signal);
    } finally {
      cancel.dispose();
    }
    if (cancel.signal.aborted) return; // the cancel event ended it
    await this.d.handler
      .handle(
        executionDecider,
        stream,
        { type: 'EndRun', ...endOf(outcome), run, at: new Date().toISOString() },
        { commandId: `execution-${executionId}-end-${run}`, actor: 'system' },
      )
      .catch(ignoreStale);
  }

  private async execute(s: PresentExecution, signal: AbortSignal): Promise<RunOutcome> {
    const r = s.request;
    const fn = await this.d.functions.at(r.function.namespace, r.function.name, r.function.version);
    // trusted shared-pool code only: sandboxed runs never get secrets
    const vault = r.sharedPool ? await this.d.secrets.forUser(r.userId) : undefined;
    const who = await this.d.runAs(r.userId, r.timeoutMs);
    const context: FunctionContext = {
      user_id: r.userId,
      user_email: who.email ?? r.userEmail,
      access_token: who.accessToken,
      execution_id: r.executionId,
      trigger_type: r.triggerType,
      chat_id: r.chatId,
      ...(vault ? { secrets: vault.secrets } : {}),
    };
    const ran = await this.d.runner.run(
      {
        executionId: r.executionId,
        code: fn.spec.code as string,
        functionName: r.function.name,
        input: r.input,
        context,
        answers: s.answers,
        timeoutMs: r.timeoutMs,
        sharedPool: r.sharedPool,
        // the worker that runs it is bound to the user the run is for and this function version
        isolationKey: isolationKey({ userId: r.userId, ...r.function }),
      },
      signal,
    );
    const notes = (vault?.unreadable ?? []).map(
      (n) => `secret '${n}' could not be decrypted (is its master key configured?) and was left out`,
    );
    const outcome = notes.length > 0 ? { ...ran, logs: [...notes, ...ran.logs] } : ran;
    if (outcome.kind !== 'completed') return outcome;
    const schema = (fn.spec.output_schema ?? {}) as JSONSchema;
    try {
      if (Object.keys(schema).length > 0) validate(schema, outcome.output, 'output');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return {
        ...outcome,
        kind: 'failed',
        error: `the handler's return value does not match output_schema: ${err.message}`,
        traceback: null,
      };
    }
    return outcome;
  }

  /** Aborts the run when the execution is cancelled. */
  private watchCancel(executionId: string, afterRevision: bigint) {
    const controller = new AbortController();
    const sub = this.d.store
      .subscribeToStream(streams.execution(executionId), { afterRevision })
      .pipe(filter((e) => e.type === 'ExecutionCancelled'))
      .subscribe({
        next: () => controller.abort(),
        // the watch is lost (the store failed in a way a subscription does not outlast): the run
        // goes on to its time limit, and the decider refuses its outcome if it was cancelled
        error: () => {},
      });
    return { signal: controller.signal, dispose: () => sub.unsubscribe() };
  }
}

/**
 * The run's outcome as event data: whatever the code returned or printed, NUL and lone surrogates
 * included, in the lossless stored form (src/events/lossless-text.ts) the executions API decodes.
 */
function endOf(o: RunOutcome) {
  const report = {
    stdout: encodeText(o.stdout),
    stderr: encodeText(o.stderr),
    logs: o.logs.map(encodeText),
    containerId: o.containerId,
    durationMs: o.durationMs,
  };
  switch (o.kind) {
    case 'completed':
      return { ...report, outcome: 'completed' as const, output: encodeValue(o.output) };
    case 'awaiting_input':
      return { ...report, outcome: 'awaiting_input' as const, prompt: encodeText(o.prompt) };
    case 'failed': {
      const traceback = o.traceback === null ? null : encodeText(o.traceback);
      return { ...report, outcome: 'failed' as const, error: encodeText(o.error), traceback };
    }
    case 'timed_out':
      return { ...report, outcome: 'timed_out' as const, error: encodeText(o.error) };
  }
}

function ignoreStale(err: unknown): void {
  if (!(err instanceof IllegalStateError)) throw err;
}
