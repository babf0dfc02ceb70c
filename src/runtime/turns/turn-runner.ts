/**
 * Runs one chat turn in a worker job (DESIGN §7): wait until it is the chat's next turn, record
 * TurnStarted (a new attempt if an earlier worker died), stream the model with token deltas on the
 * live bus, then record the assistant message — or TurnFailed with the provider's reason. A stale
 * attempt's result is refused by the decider, so a duplicate or resumed job is harmless.
 */
import { randomUUID } from 'node:crypto';
import { EmptyError, TimeoutError, firstValueFrom, filter, take, timeout } from 'rxjs';
import type { Logger } from 'pino';
import { chatDecider, type ChatState, type OpenToolCall } from '../../commands/chat/chat-decider.js';
import {
  isStopped,
  type ExecutionService,
  type PresentExecution,
} from '../../commands/execution/execution-service.js';
import { foldRecorded, type CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../../errors.js';
import { handledLater, isA, settled } from '../../expected-errors.js';
import { turnChannel, type ToolCallPlan, type ToolResultStatus } from '../../events/chat-events.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { upcast } from '../../events/upcasters.js';
import { asExecutionId, stableUuid, type ChatId, type ExecutionId, type TurnId } from '../../events/ids.js';
import type { StreamCache } from '../../events/stream-cache.js';
import { streams } from '../../events/stream-names.js';
import type { LiveBus } from '../live-bus/live-bus.js';
import { isAbortError, LlmError, type Llm, type LlmRequest, type LlmResult } from '../llm/llm.js';
import { DeltaPublisher } from './delta-publisher.js';
import { messagesForTurn } from './history.js';
import type { HistoryWindow } from './history-window.js';
import type { ProviderResolver, ResolvedModel } from './provider-resolver.js';
import { structuredOutput } from './structured-output.js';
import { hooksOf, type HookChat, type MessageHooks } from './hooks.js';
import { functionTools, planCalls, serializeResult, withPaused } from './tools.js';
import type { ToolCallDetail } from '../../events/chat-events.js';
import type { CallLeases } from './call-leases.js';
import {
  INTERRUPTED,
  failedInline,
  inlineResult,
  promptSectionsOf,
  recordResult,
  runInline,
  withFamilies,
  type InlineResult,
} from './family-tools.js';
import type { DeferredCalls, ToolChat, ToolFamily } from './tool-family.js';
import type { ResolveParts } from '../parts/part-wire.js';

type Open = Extract<ChatState, { status: 'open' }>;

interface Prefetched {
  /** `ns/name` of the agent prefetched */
  readonly agentOf: string;
  readonly agent: Promise<Awaited<ReturnType<ResourceService['at']>> | undefined>;
  readonly defaultProvider: ReturnType<ProviderResolver['defaultProvider']>;
}

interface Started {
  readonly attempt: number;
  readonly revision: bigint;
}

type Outcome =
  | { readonly kind: 'ok'; readonly result: LlmResult }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'cancelled' };

interface AttemptPlan {
  readonly chatId: ChatId;
  readonly turnId: TurnId;
  readonly resolved: ResolvedModel;
  readonly agentVersion: number;
  request: LlmRequest;
}

export interface TurnRunnerDeps {
  readonly store: EventStore;
  /** the chat's events, from memory when this process has them */
  readonly streams: StreamCache;
  readonly handler: CommandHandler;
  readonly agents: ResourceService;
  readonly resolver: ProviderResolver;
  readonly llm: Llm;
  readonly bus: LiveBus;
  readonly functions: ResourceService;
  readonly executions: ExecutionService;
  readonly maxToolRounds: number;
  /** how much history each model call sees (default: last 100 messages, last 5 tool results inline) */
  readonly history?: HistoryWindow;
  readonly hooks: MessageHooks;
  /** tool families whose calls the turn runs inline (connectors, queries, system tools) */
  readonly families: readonly ToolFamily[];
  /** held while an inline call runs, so another process's job never takes a live call for crashed */
  readonly leases: CallLeases;
  /** reads the blobs a turn's messages refer to (runtime/parts/part-wire.ts) */
  readonly resolveParts: ResolveParts;
  /** failures that end no job but someone should see (a cancel that did not reach an execution) */
  readonly log: Pick<Logger, 'warn'>;
}

const SYSTEM = (turnId: TurnId, step: string) => ({ commandId: `turn-${turnId}-${step}`, actor: 'system' });

export class TurnRunner {
  constructor(private readonly d: TurnRunnerDeps) {}

  /**
   * Runs the turn until it ends or waits for a person: model calls, and the tool calls they ask for
   * (run in parallel as executions), round after round. A tool call waiting for approval ends the
   * job; the decision starts a new one, which picks up where this one stopped.
   */
  private readonly running = new Map<string, Promise<void>>();

  /** Jobs of one turn (the first, and wake-ups after approvals) run one after another in a process. */
  run(chatId: ChatId, turnId: TurnId): Promise<void> {
    const key = `${chatId}/${turnId}`;
    const previous = this.running.get(key) ?? Promise.resolve();
    const next = previous.then(
      () => this.runNow(chatId, turnId),
      () => this.runNow(chatId, turnId),
    );
    const tail = settled(next); // orders the turn's jobs; the job that failed reports it itself
    this.running.set(key, tail);
    void tail.then(() => this.running.get(key) === tail && this.running.delete(key));
    return next;
  }

  private async runNow(chatId: ChatId, turnId: TurnId): Promise<void> {
    let userHooksRan = false;
    // the agent and the default provider are read while the chat is (one round trip instead of three)
    let prefetched: Prefetched | undefined = this.prefetch(chatId);
    for (;;) {
      const next = await this.waitUntilNext(chatId, turnId);
      if (!next) return;
      const head = next.chat.pending[0]!;
      if (head.open.length > 0) {
        // a cancelled turn cancels the executions its tool calls are waiting for
        const running = new Set<ExecutionId>();
        const cancel = this.watchCancel(chatId, turnId, next.revision);
        cancel.signal.addEventListener('abort', () => {
          for (const id of running)
            this.d.executions
              .cancel(id, { userId: 'system', isAdmin: true }, { commandId: `turn-${turnId}-cancel-${id}` })
              .catch((err) => {
                if (isA(IllegalStateError, NotFoundError)(err)) return; // ended meanwhile, or never recorded
                this.d.log.warn(
                  { err, chatId, turnId, executionId: id },
                  'cancelling a tool execution failed',
                );
              });
        });
        try {
          const runnable = head.open.filter((c) => c.approval !== 'pending');
          const toolChat = runnable.some((c) => c.plan.target) ? await this.toolChat(next.chat) : undefined;
          const ran = await Promise.all(
            runnable.map((c) => this.runCall(next.chat, turnId, c, running, cancel.signal, toolChat)),
          );
          // a sub-agent call still running: its end wakes the turn (turn-jobs.ts), no job waits for it
          if (ran.includes('waiting')) return;
        } finally {
          cancel.dispose();
        }
        if (head.open.some((c) => c.approval === 'pending')) return;
        continue;
      }
      const round = await this.modelRound(next, userHooksRan, prefetched);
      prefetched = undefined;
      userHooksRan = true;
      if (round === 'ended') return;
    }
  }

  /** One model call (and a corrective one for structured output); 'tools' when it asked for tool calls. */
  private async modelRound(
    next: {
      chat: Open;
      events: RecordedEvent[];
      revision: bigint;
    },
    userHooksRan: boolean,
    prefetched?: Prefetched,
  ): Promise<'ended' | 'tools' | 'again'> {
    const { chat, events } = next;
    const chatId = chat.chatId;
    const head = chat.pending[0]!;
    const turnId = head.turnId;
    const sameAgent = prefetched?.agentOf === `${chat.agent.namespace}/${chat.agent.name}`;
    const agent = await ((sameAgent && prefetched?.agent) || this.agentOf(chat.agent));
    let resolved;
    try {
      if (!agent || agent.status !== 'active')
        throw new IllegalStateError(`agent '${chat.agent.namespace}/${chat.agent.name}' no longer exists`);
      resolved = await this.d.resolver.resolve(agent.spec, prefetched?.defaultProvider);
    } catch (err) {
      if (!(err instanceof IllegalStateError)) throw err;
      const started = await this.start(chatId, turnId, 'none', 'none', chat.agentVersion);
      if (started) await this.fail(chatId, turnId, started.attempt, err.message);
      return 'ended';
    }
    const hookChat = {
      chatId,
      userId: chat.userId,
      agent: { namespace: chat.agent.namespace, name: chat.agent.name },
      sessionKey: chat.sessionKey,
    };
    if (!userHooksRan && head.toolRounds === 0) {
      const hooks = hooksOf(agent.spec, 'user');
      const { original, current } = userContent(events, turnId);
      if (hooks.length > 0) {
        await this.d.hooks.run('user', 'async', hooks, hookChat, turnId, original, 'user');
        const outcome = await this.d.hooks.run('user', 'sync', hooks, hookChat, turnId, original, 'user');
        if (outcome.kind === 'block') {
          await this.blockTurn(chatId, turnId, agent.version, outcome.reply, outcome.by);
          return 'ended';
        }
        if (outcome.content !== current) {
          await this.d.handler.handle(
            chatDecider,
            streams.chat(chatId),
            {
              type: 'RewriteUserMessage',
              turnId,
              content: outcome.content,
              by: outcome.changedBy.join(', '),
              at: now(),
            },
            SYSTEM(turnId, 'user-hooks'),
          );
          return 'again'; // read the rewritten message back
        }
      }
    }
    const toolChat = toolChatOf(chat, agent.spec);
    const [functions, paused] = await Promise.all([
      functionTools(agent.spec, chat.input, this.d.functions),
      this.pausedExecutions(events),
    ]);
    const [toolSet, sections] = await Promise.all([
      withFamilies(withPaused(functions, paused), this.d.families, toolChat, this.d.log),
      promptSectionsOf(this.d.families, toolChat, this.d.log),
    ]);
    const structured = structuredOutput(agent.spec, chat.agent.name);
    // parts recorded by reference (images, audio, files) go to the model with their bytes
    const base = await this.d.resolveParts(
      messagesForTurn(events, turnId, {
        systemPrompt: agent.spec.system_prompt as string | null,
        input: chat.input,
        // every round, tool rounds included (the original lost them after the first: a quirk fixed)
        suffix: sections.before + (structured?.instruction ?? '') + sections.after,
        ...(this.d.history ? { window: this.d.history } : {}),
      }),
    );
    const plan: AttemptPlan = {
      chatId,
      turnId,
      resolved,
      agentVersion: agent.version,
      request: {
        model: resolved.model,
        messages: base,
        temperature: agent.spec.temperature as number | undefined,
        ...(agent.spec.max_tokens ? { max_tokens: agent.spec.max_tokens as number } : {}),
        ...(structured ? { response_format: structured.responseFormat } : {}),
        ...(toolSet.tools.length > 0 ? { tools: toolSet.tools, tool_choice: 'auto' as const } : {}),
      },
    };
    const startTurn = (runId: string) =>
      this.start(chatId, turnId, resolved.model, resolved.provider, agent.version, runId);
    for (let correction = 0; ; correction++) {
      // The first call starts while TurnStarted commits (its deltas wait on the live bus until a
      // reader sees TurnStarted); a corrective call starts after.
      const run =
        correction === 0
          ? await this.overlapped(plan, startTurn, next.revision)
          : await this.sequential(plan, startTurn);
      if (!run) return 'ended';
      const { started, outcome } = run;
      if (outcome.kind === 'cancelled') return 'ended';
      if (outcome.kind === 'failed') {
        await this.fail(chatId, turnId, started.attempt, outcome.message);
        return 'ended';
      }
      if (outcome.result.toolCalls.length > 0 && toolSet.tools.length > 0) {
        if (head.toolRounds >= this.d.maxToolRounds) {
          await this.fail(
            chatId,
            turnId,
            started.attempt,
            `Tool iteration limit (${this.d.maxToolRounds}) reached: the model kept calling tools`,
          );
          return 'ended';
        }
        const done = await this.complete(
          plan,
          started.attempt,
          outcome.result,
          planCalls(outcome.result.toolCalls, toolSet),
        );
        return done ? 'tools' : 'ended';
      }
      const problem = structured?.problem(outcome.result.content);
      if (problem === undefined) {
        await this.completeWithHooks(plan, started.attempt, outcome.result, agent.spec, hookChat);
        return 'ended';
      }
      if (correction > 0) {
        await this.fail(chatId, turnId, started.attempt, `the reply did not match output_schema: ${problem}`);
        return 'ended';
      }
      plan.request = {
        ...plan.request,
        messages: [...base, ...structured!.correction(outcome.result.content, problem)],
      };
    }
  }

  /**
   * One tool call: recorded as started (with its execution's id) before the execution is requested,
   * so a retried job finds it and only waits; then its result is recorded for the model.
   */
  private async runCall(
    chat: Open,
    turnId: TurnId,
    call: OpenToolCall,
    running: Set<ExecutionId>,
    signal: AbortSignal,
    toolChat: ToolChat | undefined,
  ): Promise<void | 'waiting'> {
    const { chatId } = chat;
    const p = call.plan;
    const finish: Finish = (status, result, executionId, extra = {}) =>
      this.d.handler
        .handle(
          chatDecider,
          streams.chat(chatId),
          {
            type: 'CompleteToolCall',
            turnId,
            toolCallId: p.id,
            status,
            result,
            executionId,
            ...extra,
            at: now(),
          },
          SYSTEM(turnId, `tool-${p.id}-complete`),
        )
        .then(() => undefined, ignoreStale);
    if (p.builtin === 'continue_execution' && p.arguments && !p.invalid)
      return this.continueExecution(chat, turnId, call, finish);
    if (p.target && p.arguments && !p.invalid && toolChat)
      return this.runFamilyCall(toolChat, turnId, call, signal, finish);
    if (!p.function || !p.arguments) {
      const message = p.invalid
        ? `Tool '${p.name}': ${p.invalid}`
        : `Tool '${p.name}' was not in the approved tools list for this agent.`;
      const error = p.invalid ? 'Invalid tool arguments' : 'Unauthorized tool call';
      return finish('error', serializeResult({ error, message }), null);
    }
    const executionId = call.executionId ?? asExecutionId(stableUuid(`${chatId}/${p.id}`));
    if (!call.started) {
      if (!(await this.startToolCall(chatId, turnId, p.id, executionId))) return;
      try {
        await this.d.executions.request(
          p.function,
          p.arguments,
          { type: 'AGENT', id: chatId, chatId, toolCallId: p.id },
          { userId: chat.userId },
          { commandId: `tool-${p.id}-execution`, executionId },
        );
      } catch (err) {
        if (err instanceof ForbiddenError) return finish('forbidden', notPermitted(err), null);
        if (err instanceof ValidationError || err instanceof NotFoundError)
          return finish('error', serializeResult({ error: err.message }), executionId);
        if (!(err instanceof IllegalStateError)) throw err; // already requested by an earlier job
      }
    }
    running.add(executionId);
    return this.finishWithExecution(executionId, finish);
  }

  /** `continue_execution`: answers the paused execution's input() as the chat's user, then reports its next stop. */
  private async continueExecution(
    chat: Open,
    turnId: TurnId,
    call: OpenToolCall,
    finish: Finish,
  ): Promise<void> {
    const p = call.plan;
    // the model's argument: the paused execution it answers (an unknown id is refused by the service)
    const executionId = asExecutionId(p.arguments!.execution_id as string);
    if (!call.started && !(await this.startToolCall(chat.chatId, turnId, p.id, executionId))) return;
    // always: a retried job whose earlier resume landed is answered as a duplicate (same command id)
    try {
      await this.d.executions.resume(
        executionId,
        p.arguments!.input ?? null,
        { userId: chat.userId },
        { commandId: `tool-${p.id}-resume` },
      );
    } catch (err) {
      if (err instanceof ForbiddenError) return finish('forbidden', notPermitted(err), executionId);
      if (err instanceof IllegalStateError || err instanceof NotFoundError)
        return finish('error', serializeResult({ error: err.message }), executionId);
      throw err;
    }
    return this.finishWithExecution(executionId, finish);
  }

  /**
   * A call a family runs inline: recorded as started (no execution), run with the turn's cancel as
   * its signal, and its outcome recorded with the family's detail. Found started by a job after a
   * worker died during it, it runs again only if the family says that is safe; else it is answered
   * as interrupted.
   */
  private async runFamilyCall(
    chat: ToolChat,
    turnId: TurnId,
    call: OpenToolCall,
    signal: AbortSignal,
    finish: Finish,
  ): Promise<void | 'waiting'> {
    const p = call.plan;
    const target = p.target!;
    const family = this.d.families.find((f) => f.family === target.family);
    if (!family)
      return finish('error', serializeResult({ error: `Tool '${p.name}' is not available here` }), null);
    // a deferred call holds no lease: its work is another chat's turn, and the call stays open meanwhile
    if (family.deferred)
      return this.runDeferredCall(family, family.deferred, chat, turnId, call, signal, finish);
    // held while the call runs: another process's job finding it started waits here for this one
    return this.d.leases.exclusive(`inline-call/${chat.chatId}/${p.id}`, async () => {
      if (call.started) {
        // its runner let go: it finished the call, or died during it
        if (!(await this.stillOpen(chat.chatId, turnId, p.id))) return;
        if (!family.rerunnable(target)) return finish('error', serializeResult({ error: INTERRUPTED }), null);
      } else if (!(await this.startToolCall(chat.chatId, turnId, p.id, null))) return;
      const run = { toolCallId: p.id, target, arguments: p.arguments!, signal };
      const { status, result, ...extra } = await runInline(family, run, chat, this.d.log);
      return finish(status, result, null, extra);
    });
  }

  /** Whether the call is still open in the turn, read from the store (not this process's cache). */
  private async stillOpen(chatId: ChatId, turnId: TurnId, toolCallId: string): Promise<boolean> {
    const events = (await this.d.store.readStream(streams.chat(chatId))).map(upcast);
    const s = foldRecorded(chatDecider, events).state;
    const head = s.status === 'open' ? s.pending[0] : undefined;
    return head?.turnId === turnId && head.open.some((c) => c.plan.id === toolCallId);
  }

  /**
   * A call whose work is a turn of another chat (tool-family.ts DeferredCalls): checked, recorded
   * as started with its link, started; while it runs the call stays open and the job ends
   * ('waiting'). The work's end wakes the turn, whose next job records the outcome here.
   */
  private async runDeferredCall(
    family: ToolFamily,
    deferred: DeferredCalls,
    chat: ToolChat,
    turnId: TurnId,
    call: OpenToolCall,
    signal: AbortSignal,
    finish: Finish,
  ): Promise<void | 'waiting'> {
    const p = call.plan;
    const run = { toolCallId: p.id, turnId, target: p.target!, arguments: p.arguments!, signal };
    let link = call.subChatId;
    let done: InlineResult;
    try {
      if (!call.started) {
        link = await deferred.link(run, chat);
        if (!(await this.startToolCall(chat.chatId, turnId, p.id, null, link))) return;
      }
      if (!link) return finish('error', serializeResult({ error: INTERRUPTED }), null);
      const outcome = await deferred.advance(run, chat, link);
      if (!outcome) return 'waiting';
      done = inlineResult(outcome);
    } catch (err) {
      done = failedInline(err, family, run, chat, this.d.log);
    }
    const { status, result, ...extra } = done;
    return finish(status, result, null, { ...extra, ...(link ? { subChatId: link } : {}) });
  }

  /** The chat as a family sees it, with its agent's current spec (an empty one once the agent is gone). */
  private async toolChat(chat: Open): Promise<ToolChat> {
    const agent = await this.agentOf(chat.agent);
    return toolChatOf(chat, agent?.status === 'active' ? agent.spec : {});
  }

  /** Records that the call runs as `executionId`; false when it cannot start (started already, or the turn ended). */
  private async startToolCall(
    chatId: ChatId,
    turnId: TurnId,
    toolCallId: string,
    executionId: ExecutionId | null,
    subChatId?: string,
  ) {
    const started = await this.d.handler
      .handle(
        chatDecider,
        streams.chat(chatId),
        {
          type: 'StartToolCall',
          turnId,
          toolCallId,
          executionId,
          ...(subChatId ? { subChatId } : {}),
          at: now(),
        },
        SYSTEM(turnId, `tool-${toolCallId}-start`),
      )
      .catch((err) => (err instanceof IllegalStateError ? undefined : Promise.reject(err)));
    return started !== undefined;
  }

  /** Waits for the execution's next stop and records it as the call's result. */
  private async finishWithExecution(executionId: ExecutionId, finish: Finish): Promise<void> {
    const loaded = await this.d.executions.load(executionId);
    let s: PresentExecution | undefined = loaded.state;
    if (!isStopped(s)) {
      const waitMs = s.request.timeoutMs + 60_000;
      s = await this.d.executions.waitForStop(executionId, loaded.revision, waitMs);
    }
    if (!s) return finish('error', serializeResult({ error: 'Tool timed out' }), executionId);
    if (s.status === 'COMPLETED') {
      const { result, fullResult } = recordResult(s.output ?? null);
      return finish('ok', result, executionId, fullResult === undefined ? {} : { fullResult });
    }
    if (s.status === 'AWAITING_INPUT')
      return finish(
        'awaiting_input',
        serializeResult({
          status: 'awaiting_input',
          execution_id: executionId,
          prompt: s.prompt,
          message:
            'The function paused for input; it resumes when POST /executions/{id}/continue answers it.',
        }),
        executionId,
      );
    return finish(
      'error',
      serializeResult({ error: s.error ?? `execution ${s.status.toLowerCase()}` }),
      executionId,
    );
  }

  private async sequential(plan: AttemptPlan, startTurn: (runId: string) => Promise<Started | undefined>) {
    const runId = randomUUID();
    const started = await startTurn(runId);
    if (!started) return undefined;
    // watched from its own TurnStarted on, so a later one (a takeover) is told from it
    return { started, outcome: await this.attempt(plan, runId, started.revision - 1n) };
  }

  /**
   * Calls the model while recording TurnStarted; gives the call up if the turn does not start. The
   * deltas go to this run's own channel, which the TurnStarted names: when it lands as another
   * attempt than expected (another worker started the turn meanwhile, and this one took it over),
   * the call goes on as that attempt; another worker's deltas never mix in.
   */
  private async overlapped(
    plan: AttemptPlan,
    startTurn: (runId: string) => Promise<Started | undefined>,
    readAt: bigint,
  ) {
    const runId = randomUUID();
    const gate = new AbortController();
    const starting = startTurn(runId); // first: its append goes out before the model call's work
    const outcome = this.attempt(plan, runId, readAt, gate.signal);
    let started: Started | undefined;
    try {
      started = await starting;
    } catch (err) {
      gate.abort();
      await settled(outcome); // the call given up (the turn did not start): its abort is not news
      throw err;
    }
    if (!started) {
      gate.abort();
      await settled(outcome); // as above
      return undefined;
    }
    return { started, outcome: await outcome };
  }

  /**
   * One model call of run `runId`, deltas on its channel. Ends as cancelled when the turn is
   * cancelled or taken over (a later TurnStarted than the run's own) after `afterRevision`.
   */
  private async attempt(
    plan: AttemptPlan,
    runId: string,
    afterRevision: bigint,
    gate?: AbortSignal,
  ): Promise<Outcome> {
    const { chatId, turnId } = plan;
    const cancel = this.watchCancel(chatId, turnId, afterRevision, runId);
    const signal = gate ? AbortSignal.any([cancel.signal, gate]) : cancel.signal;
    // the channel names no attempt: the run's attempt is known only once its TurnStarted lands
    const publisher = new DeltaPublisher(this.d.bus, turnChannel(chatId, { turnId, attempt: 0, runId }));
    try {
      const result = await this.d.llm.complete(
        plan.resolved.endpoint,
        plan.request,
        (delta) => publisher.push(delta),
        {
          signal,
        },
      );
      await publisher.end();
      return { kind: 'ok', result };
    } catch (err) {
      await publisher.end();
      if (signal.aborted && isAbortError(err)) return { kind: 'cancelled' }; // the cancel event ended the turn
      if (!(err instanceof LlmError)) throw err;
      return { kind: 'failed', message: err.message };
    } finally {
      cancel.dispose();
    }
  }

  private agentOf(ref: { namespace: string; name: string }) {
    return this.d.agents
      .current(ref.namespace, ref.name)
      .catch((e) => (e instanceof NotFoundError ? undefined : Promise.reject(e)));
  }

  /**
   * Starts reading the chat's agent (known from the command handler's cached chat state, when this
   * process recorded the message) and the default provider, so they are ready with the chat's events.
   */
  private prefetch(chatId: string): Prefetched | undefined {
    const cached = this.d.handler.cached<ChatState>(streams.chat(chatId));
    if (cached?.status !== 'open') return undefined;
    // a failure shows when (and if) the value is used
    return {
      agentOf: `${cached.agent.namespace}/${cached.agent.name}`,
      agent: handledLater(this.agentOf(cached.agent)),
      defaultProvider: handledLater(this.d.resolver.defaultProvider()),
    };
  }

  /** Executions this chat's tool calls left paused at input() that are still waiting. */
  private async pausedExecutions(events: readonly RecordedEvent[]): Promise<string[]> {
    const ids = new Set<string>();
    for (const e of events) {
      const d = e.data as { status?: string; executionId?: string | null };
      if (e.type === 'ToolCallCompleted' && d.status === 'awaiting_input' && d.executionId)
        ids.add(d.executionId);
    }
    const paused: string[] = [];
    for (const id of ids) {
      const s = await this.d.executions.load(asExecutionId(id)).catch((err) => {
        // purged: nothing to continue; unreadable: this model call goes without it (the next has it)
        if (!isA(NotFoundError)(err))
          this.d.log.warn({ err, executionId: id }, 'reading a paused execution failed');
        return undefined;
      });
      if (s?.state.status === 'AWAITING_INPUT') paused.push(id);
    }
    return paused;
  }

  /** Runs the on_assistant_message hooks on the final reply, records it, then requests the async ones. */
  private async completeWithHooks(
    plan: AttemptPlan,
    attempt: number,
    result: LlmResult,
    agentSpec: Readonly<Record<string, unknown>>,
    hookChat: HookChat,
  ): Promise<void> {
    const hooks = hooksOf(agentSpec, 'assistant');
    if (hooks.length === 0) {
      await this.complete(plan, attempt, result);
      return;
    }
    const scope = `attempt-${attempt}`;
    const outcome = await this.d.hooks.run(
      'assistant',
      'sync',
      hooks,
      hookChat,
      plan.turnId,
      result.content,
      scope,
    );
    const content = outcome.kind === 'block' ? outcome.reply : outcome.content;
    const revisedBy = outcome.kind === 'block' ? [outcome.by] : outcome.changedBy;
    const messageId = stableUuid(`assistant/${plan.chatId}/${plan.turnId}/${attempt}`);
    const landed = await this.complete(plan, attempt, { ...result, content }, [], { messageId, revisedBy });
    if (landed)
      await this.d.hooks.run('assistant', 'async', hooks, hookChat, plan.turnId, content, scope, messageId);
  }

  /** An on_user_message hook blocked the message: its reply answers, and no model is called. */
  private async blockTurn(chatId: ChatId, turnId: TurnId, agentVersion: number, reply: string, by: string) {
    const started = await this.start(chatId, turnId, 'hook', 'hook', agentVersion);
    if (!started) return;
    await this.d.handler
      .handle(
        chatDecider,
        streams.chat(chatId),
        {
          type: 'CompleteTurn',
          turnId,
          attempt: started.attempt,
          messageId: randomUUID(),
          content: reply,
          toolCalls: [],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
          model: 'hook',
          agentVersion,
          finishReason: 'blocked',
          blockedBy: by,
          at: now(),
        },
        SYSTEM(turnId, `complete-${started.attempt}`),
      )
      .catch(ignoreStale);
  }

  /** Records the reply; true when it landed (a stale attempt's reply is refused). */
  private async complete(
    plan: AttemptPlan,
    attempt: number,
    result: LlmResult,
    calls: readonly ToolCallPlan[] = [],
    extra: { messageId?: string; revisedBy?: readonly string[] } = {},
  ): Promise<boolean> {
    return this.d.handler
      .handle(
        chatDecider,
        streams.chat(plan.chatId),
        {
          type: 'CompleteTurn',
          turnId: plan.turnId,
          attempt,
          messageId: extra.messageId ?? randomUUID(),
          content: result.content,
          toolCalls: result.toolCalls,
          usage: result.usage,
          model: result.model || plan.resolved.model,
          agentVersion: plan.agentVersion,
          finishReason: result.finishReason,
          ...(calls.length > 0 ? { calls } : {}),
          ...(extra.revisedBy?.length ? { revisedBy: extra.revisedBy } : {}),
          at: new Date().toISOString(),
        },
        SYSTEM(plan.turnId, `complete-${attempt}`),
      )
      .then(
        () => true,
        (err) => (ignoreStale(err), false),
      );
  }

  /** Resolves with the chat once `turnId` is its next turn, or undefined when the turn has ended. */
  private async waitUntilNext(
    chatId: ChatId,
    turnId: TurnId,
  ): Promise<{ chat: Open; events: RecordedEvent[]; revision: bigint } | undefined> {
    const stream = streams.chat(chatId);
    const mentionsTurn = (events: readonly RecordedEvent[]) =>
      events.some((e) => e.type === 'UserMessagePosted' && (e.data as { turnId?: string }).turnId === turnId);
    for (;;) {
      // at least as far as this process's own last write (the cache can trail it: turn-runner's
      // next step decided on a chat without its own tool-call reply would end the job, stranding the turn)
      const floor = this.d.handler.knownRevision(stream);
      let events = (await this.d.streams.read(stream, floor)).map(upcast);
      // this process has not seen the turn's message yet (another one posted it): the store has
      if (!mentionsTurn(events)) events = (await this.d.store.readStream(stream)).map(upcast);
      const loaded = foldRecorded(chatDecider, events);
      this.d.handler.remember(stream, loaded); // StartTurn decides on this state without reading again
      const s = loaded.state;
      if (s.status !== 'open' || !s.pending.some((t) => t.turnId === turnId)) return undefined;
      if (s.pending[0]!.turnId === turnId) return { chat: s, events, revision: loaded.revision! };
      // woken by the chat's next event; after a minute (or if the subscription ends) it reads again anyway
      await firstValueFrom(
        this.d.store
          .subscribeToStream(stream, { afterRevision: loaded.revision })
          .pipe(take(1), timeout(60_000)),
      ).catch((err) => {
        if (isA(TimeoutError, EmptyError)(err)) return;
        this.d.log.warn(
          { err, chatId, turnId },
          'waiting for the turn to come up failed; reading the chat again',
        );
      });
    }
  }

  /** Records a new attempt; undefined when the turn ended meanwhile (cancelled). */
  private async start(
    chatId: ChatId,
    turnId: TurnId,
    model: string,
    provider: string,
    agentVersion: number,
    runId?: string,
  ): Promise<{ attempt: number; revision: bigint } | undefined> {
    const r = await this.d.handler
      .handle(
        chatDecider,
        streams.chat(chatId),
        {
          type: 'StartTurn',
          turnId,
          model,
          provider,
          agentVersion,
          ...(runId ? { runId } : {}),
          at: new Date().toISOString(),
        },
        { commandId: randomUUID(), actor: 'system' },
      )
      .catch((err) => (err instanceof IllegalStateError ? undefined : Promise.reject(err)));
    if (!r) return undefined;
    const head = r.state.status === 'open' ? r.state.pending.find((t) => t.turnId === turnId) : undefined;
    return { attempt: head?.attempt ?? 1, revision: r.revision ?? 0n };
  }

  private fail(chatId: ChatId, turnId: TurnId, attempt: number, error: string): Promise<void> {
    return this.d.handler
      .handle(
        chatDecider,
        streams.chat(chatId),
        { type: 'FailTurn', turnId, attempt, error, at: new Date().toISOString() },
        SYSTEM(turnId, `fail-${attempt}`),
      )
      .then(() => undefined, ignoreStale);
  }

  /**
   * Aborts the model call when the turn is cancelled, or, for run `runId`, when a later TurnStarted
   * of the turn than the run's own takes the turn over (the decider would refuse its reply).
   */
  private watchCancel(
    chatId: ChatId,
    turnId: TurnId,
    afterRevision: bigint,
    runId?: string,
  ): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    let ownStarted = false;
    const sub = this.d.store
      .subscribeToStream(streams.chat(chatId), { afterRevision })
      .pipe(
        filter((e) => {
          const d = e.data as { turnId?: string; runId?: string };
          if (d.turnId !== turnId) return false;
          if (e.type === 'TurnCancelled') return true;
          if (e.type !== 'TurnStarted' || runId === undefined) return false;
          if (d.runId === runId) ownStarted = true;
          else if (ownStarted) return true;
          return false;
        }),
      )
      .subscribe({
        next: () => controller.abort(),
        // the watch is lost (the store failed in a way a subscription does not outlast): the run
        // goes on unwatched, and its reply, should the turn have been cancelled, is refused by the
        // decider as stale
        error: () => {},
      });
    return { signal: controller.signal, dispose: () => sub.unsubscribe() };
  }
}

const now = () => new Date().toISOString();

/** Records a call's result (with an inline call's detail, and the whole result when it was cut). */
type Finish = (
  status: ToolResultStatus,
  result: string,
  executionId: ExecutionId | null,
  extra?: { readonly detail?: ToolCallDetail; readonly fullResult?: string; readonly subChatId?: string },
) => Promise<void>;

function toolChatOf(chat: Open, agentSpec: Readonly<Record<string, unknown>>): ToolChat {
  return {
    chatId: chat.chatId,
    userId: chat.userId,
    input: chat.input,
    agent: { namespace: chat.agent.namespace, name: chat.agent.name },
    agentSpec,
  };
}

/** The turn's user message as posted, and as the model will see it (after any hook rewrote it). */
function userContent(
  events: readonly RecordedEvent[],
  turnId: string,
): { original: string; current: string } {
  let original = '';
  let current = '';
  for (const e of events) {
    const d = e.data as { turnId?: string; content?: string };
    if (d.turnId !== turnId) continue;
    if (e.type === 'UserMessagePosted') original = current = d.content ?? '';
    else if (e.type === 'UserMessageRewritten') current = d.content ?? '';
  }
  return { original, current };
}

/** The result a tool call the chat's user may not run gets: the model sees it, the turn goes on. */
function notPermitted(err: ForbiddenError): string {
  return serializeResult({ error: 'Not permitted', message: err.message });
}

function ignoreStale(err: unknown): void {
  if (!(err instanceof IllegalStateError)) throw err;
}
