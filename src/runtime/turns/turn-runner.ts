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
    for (let correction = 0; ; correction++) {
      const started = await this.start(chatId, turnId, resolved.model, resolved.provider, agent.version);
      if (!started) return;
      const result = await this.attempt(plan, started);
      if (!result) return;
      const problem = structured?.problem(result.content);
      if (problem === undefined) return this.complete(plan, started.attempt, result);
      if (correction > 0)
        return this.fail(
          chatId,
          turnId,
          started.attempt,
          `the reply did not match output_schema: ${problem}`,
        );
      plan.request = {
        ...plan.request,
        messages: [...base, ...structured!.correction(result.content, problem)],
      };
    }
  }

  /** One model call, deltas on the attempt's channel. Undefined when it failed or was cancelled. */
  private async attempt(
    plan: AttemptPlan,
    started: { attempt: number; revision: bigint },
  ): Promise<LlmResult | undefined> {
    const { chatId, turnId } = plan;
    const abort = this.watchCancel(chatId, turnId, started.revision);
    const publisher = new DeltaPublisher(this.d.bus, turnChannel(chatId, turnId, started.attempt));
    try {
      const result = await this.d.llm.complete(
        plan.resolved.endpoint,
        plan.request,
        (delta) => publisher.push(delta),
        {
          signal: abort.signal,
        },
      );
      await publisher.end();
      return result;
    } catch (err) {
      await publisher.end();
      if (abort.signal.aborted && isAbortError(err)) return undefined; // the cancel event already ended the turn
      if (!(err instanceof LlmError)) throw err;
      await this.fail(chatId, turnId, started.attempt, err.message);
      return undefined;
    } finally {
      abort.dispose();
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
  ): Promise<{ chat: Open; events: RecordedEvent[] } | undefined> {
    const stream = streams.chat(chatId);
    for (;;) {
      const events = (await this.d.store.readStream(stream)).map(upcast);
      const loaded = foldRecorded(chatDecider, events);
      this.d.handler.remember(stream, loaded); // StartTurn decides on this state without reading again
      const s = loaded.state;
      if (s.status !== 'open' || !s.pending.some((t) => t.turnId === turnId)) return undefined;
      if (s.pending[0]!.turnId === turnId) return { chat: s, events };
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
