/**
 * Runs one chat turn in a worker job (DESIGN §7): wait until it is the chat's next turn, record
 * TurnStarted (a new attempt if an earlier worker died), stream the model with token deltas on the
 * live bus, then record the assistant message — or TurnFailed with the provider's reason. A stale
 * attempt's result is refused by the decider, so a duplicate or resumed job is harmless.
 */
import { randomUUID } from 'node:crypto';
import { firstValueFrom, filter, take, timeout } from 'rxjs';
import { chatDecider, type ChatState } from '../../commands/chat/chat-decider.js';
import { foldRecorded, type CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { IllegalStateError, NotFoundError } from '../../errors.js';
import { turnChannel, type ChatEvent } from '../../events/chat-events.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { upcast } from '../../events/upcasters.js';
import { streams } from '../../events/stream-names.js';
import type { LiveBus } from '../live-bus/live-bus.js';
import { isAbortError, LlmError, type Llm, type LlmRequest, type LlmResult } from '../llm/llm.js';
import { DeltaPublisher } from './delta-publisher.js';
import { messagesForTurn } from './history.js';
import type { ProviderResolver, ResolvedModel } from './provider-resolver.js';
import { structuredOutput } from './structured-output.js';

type Open = Extract<ChatState, { status: 'open' }>;

interface Started {
  readonly attempt: number;
  readonly revision: bigint;
}

type Outcome =
  | { readonly kind: 'ok'; readonly result: LlmResult }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'cancelled' };

interface AttemptPlan {
  readonly chatId: string;
  readonly turnId: string;
  readonly resolved: ResolvedModel;
  readonly agentVersion: number;
  request: LlmRequest;
}

export interface TurnRunnerDeps {
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly agents: ResourceService;
  readonly resolver: ProviderResolver;
  readonly llm: Llm;
  readonly bus: LiveBus;
}

const SYSTEM = (turnId: string, step: string) => ({ commandId: `turn-${turnId}-${step}`, actor: 'system' });

export class TurnRunner {
  constructor(private readonly d: TurnRunnerDeps) {}

  async run(chatId: string, turnId: string): Promise<void> {
    const next = await this.waitUntilNext(chatId, turnId);
    if (!next) return;
    const { chat, events } = next;
    const agent = await this.d.agents
      .at(chat.agent.namespace, chat.agent.name)
      .catch((e) => (e instanceof NotFoundError ? undefined : Promise.reject(e)));
    let resolved;
    try {
      if (!agent || agent.status !== 'active')
        throw new IllegalStateError(`agent '${chat.agent.namespace}/${chat.agent.name}' no longer exists`);
      resolved = await this.d.resolver.resolve(agent.spec);
    } catch (err) {
      if (!(err instanceof IllegalStateError)) throw err;
      const started = await this.start(chatId, turnId, 'none', 'none', chat.agentVersion);
      return started && this.fail(chatId, turnId, started.attempt, err.message);
    }
    const structured = structuredOutput(agent.spec, chat.agent.name);
    const base = messagesForTurn(events, turnId, {
      systemPrompt: agent.spec.system_prompt as string | null,
      input: chat.input,
      suffix: structured?.instruction,
    });
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
      },
    };
    const head = chat.pending[0]!;
    const startTurn = () => this.start(chatId, turnId, resolved.model, resolved.provider, agent.version);
    for (let correction = 0; ; correction++) {
      // The first call starts while TurnStarted commits (its deltas wait on the live bus until a
      // reader sees TurnStarted); a corrective call starts after.
      const run =
        correction === 0
          ? await this.overlapped(plan, startTurn, { attempt: head.attempt + 1, revision: next.revision })
          : await this.sequential(plan, startTurn);
      if (!run) return;
      const { started, outcome } = run;
      if (outcome.kind === 'cancelled') return;
      if (outcome.kind === 'failed') return this.fail(chatId, turnId, started.attempt, outcome.message);
      const problem = structured?.problem(outcome.result.content);
      if (problem === undefined) return this.complete(plan, started.attempt, outcome.result);
      if (correction > 0) {
        return this.fail(
          chatId,
          turnId,
          started.attempt,
          `the reply did not match output_schema: ${problem}`,
        );
      }
      plan.request = {
        ...plan.request,
        messages: [...base, ...structured!.correction(outcome.result.content, problem)],
      };
    }
  }

  private async sequential(plan: AttemptPlan, startTurn: () => Promise<Started | undefined>) {
    const started = await startTurn();
    if (!started) return undefined;
    return { started, outcome: await this.attempt(plan, started) };
  }

  /** Calls the model while recording TurnStarted; gives up the call if the start does not land as predicted. */
  private async overlapped(
    plan: AttemptPlan,
    startTurn: () => Promise<Started | undefined>,
    predicted: Started,
  ) {
    const gate = new AbortController();
    const outcome = this.attempt(plan, predicted, gate.signal);
    let started: Started | undefined;
    try {
      started = await startTurn();
    } catch (err) {
      gate.abort();
      await outcome.catch(() => undefined);
      throw err;
    }
    if (!started || started.attempt !== predicted.attempt) {
      gate.abort();
      await outcome.catch(() => undefined);
      return undefined;
    }
    return { started, outcome: await outcome };
  }

  /** One model call, deltas on the attempt's channel. */
  private async attempt(plan: AttemptPlan, started: Started, gate?: AbortSignal): Promise<Outcome> {
    const { chatId, turnId } = plan;
    const cancel = this.watchCancel(chatId, turnId, started.revision);
    const signal = gate ? AbortSignal.any([cancel.signal, gate]) : cancel.signal;
    const publisher = new DeltaPublisher(this.d.bus, turnChannel(chatId, turnId, started.attempt));
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

  private async complete(plan: AttemptPlan, attempt: number, result: LlmResult): Promise<void> {
    await this.d.handler
      .handle(
        chatDecider,
        streams.chat(plan.chatId),
        {
          type: 'CompleteTurn',
          turnId: plan.turnId,
          attempt,
          messageId: randomUUID(),
          content: result.content,
          toolCalls: result.toolCalls,
          usage: result.usage,
          model: result.model || plan.resolved.model,
          agentVersion: plan.agentVersion,
          finishReason: result.finishReason,
          at: new Date().toISOString(),
        },
        SYSTEM(plan.turnId, `complete-${attempt}`),
      )
      .catch(ignoreStale);
  }

  /** Resolves with the chat once `turnId` is its next turn, or undefined when the turn has ended. */
  private async waitUntilNext(
    chatId: string,
    turnId: string,
  ): Promise<{ chat: Open; events: RecordedEvent[]; revision: bigint } | undefined> {
    const stream = streams.chat(chatId);
    for (;;) {
      const events = (await this.d.store.readStream(stream)).map(upcast);
      const loaded = foldRecorded(chatDecider, events);
      this.d.handler.remember(stream, loaded); // StartTurn decides on this state without reading again
      const s = loaded.state;
      if (s.status !== 'open' || !s.pending.some((t) => t.turnId === turnId)) return undefined;
      if (s.pending[0]!.turnId === turnId) return { chat: s, events, revision: loaded.revision! };
      await firstValueFrom(
        this.d.store
          .subscribeToStream(stream, { afterRevision: loaded.revision })
          .pipe(take(1), timeout(60_000)),
      ).catch(() => undefined);
    }
  }

  /** Records a new attempt; undefined when the turn ended meanwhile (cancelled). */
  private async start(
    chatId: string,
    turnId: string,
    model: string,
    provider: string,
    agentVersion: number,
  ): Promise<{ attempt: number; revision: bigint } | undefined> {
    const r = await this.d.handler
      .handle(
        chatDecider,
        streams.chat(chatId),
        { type: 'StartTurn', turnId, model, provider, agentVersion, at: new Date().toISOString() },
        { commandId: randomUUID(), actor: 'system' },
      )
      .catch((err) => (err instanceof IllegalStateError ? undefined : Promise.reject(err)));
    if (!r) return undefined;
    const head = r.state.status === 'open' ? r.state.pending.find((t) => t.turnId === turnId) : undefined;
    return { attempt: head?.attempt ?? 1, revision: r.revision ?? 0n };
  }

  private fail(chatId: string, turnId: string, attempt: number, error: string): Promise<void> {
    return this.d.handler
      .handle(
        chatDecider,
        streams.chat(chatId),
        { type: 'FailTurn', turnId, attempt, error, at: new Date().toISOString() },
        SYSTEM(turnId, `fail-${attempt}`),
      )
      .then(() => undefined, ignoreStale);
  }

  /** Aborts the model call when the turn is cancelled. */
  private watchCancel(
    chatId: string,
    turnId: string,
    afterRevision: bigint,
  ): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    const sub = this.d.store
      .subscribeToStream(streams.chat(chatId), { afterRevision })
      .pipe(
        filter(
          (e) =>
            e.type === 'TurnCancelled' &&
            (e.data as Extract<ChatEvent, { type: 'TurnCancelled' }>['data']).turnId === turnId,
        ),
      )
      .subscribe(() => controller.abort());
    return { signal: controller.signal, dispose: () => sub.unsubscribe() };
  }
}

function ignoreStale(err: unknown): void {
  if (!(err instanceof IllegalStateError)) throw err;
}
