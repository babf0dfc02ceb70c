/**
 * Runs one chat turn in a worker job (DESIGN §7): wait until it is the chat's next turn, record
 * TurnStarted (a new attempt if an earlier worker died), stream the model with token deltas on the
 * live bus, then record the assistant message — or TurnFailed with the provider's reason. A stale
 * attempt's result is refused by the decider, so a duplicate or resumed job is harmless.
 */
import { randomUUID } from 'node:crypto';
import { firstValueFrom, filter, take, timeout } from 'rxjs';
import { chatDecider, type ChatState } from '../../commands/chat/chat-decider.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { IllegalStateError, NotFoundError } from '../../errors.js';
import { turnChannel, type ChatEvent } from '../../events/chat-events.js';
import type { EventStore } from '../../events/event-store.js';
import { streams } from '../../events/stream-names.js';
import type { LiveBus } from '../live-bus/live-bus.js';
import { isAbortError, LlmError, type Llm, type LlmDelta } from '../llm/llm.js';
import { messagesForTurn } from './history.js';
import type { ProviderResolver } from './provider-resolver.js';

type Open = Extract<ChatState, { status: 'open' }>;

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
    const chat = await this.waitUntilNext(chatId, turnId);
    if (!chat) return;
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
    const started = await this.start(chatId, turnId, resolved.model, resolved.provider, agent.version);
    if (!started) return;
    const events = await this.d.store.readStream(streams.chat(chatId));
    const messages = messagesForTurn(events, turnId, {
      systemPrompt: agent.spec.system_prompt as string | null,
      input: chat.input,
    });
    const channel = turnChannel(chatId, turnId, started.attempt);
    const abort = this.watchCancel(chatId, turnId, started.revision);
    const publisher = new DeltaPublisher(this.d.bus, channel);
    try {
      const result = await this.d.llm.complete(
        resolved.endpoint,
        {
          model: resolved.model,
          messages,
          temperature: agent.spec.temperature as number | undefined,
          ...(agent.spec.max_tokens ? { max_tokens: agent.spec.max_tokens as number } : {}),
        },
        (delta) => publisher.push(delta),
        { signal: abort.signal },
      );
      await publisher.end();
      await this.d.handler
        .handle(
          chatDecider,
          streams.chat(chatId),
          {
            type: 'CompleteTurn',
            turnId,
            attempt: started.attempt,
            messageId: randomUUID(),
            content: result.content,
            toolCalls: result.toolCalls,
            usage: result.usage,
            model: result.model || resolved.model,
            agentVersion: agent.version,
            finishReason: result.finishReason,
            at: new Date().toISOString(),
          },
          SYSTEM(turnId, `complete-${started.attempt}`),
        )
        .catch(ignoreStale);
    } catch (err) {
      await publisher.end();
      if (abort.signal.aborted && isAbortError(err)) return; // cancelled: the cancel event already ended the turn
      if (!(err instanceof LlmError)) throw err;
      await this.fail(chatId, turnId, started.attempt, err.message);
    } finally {
      abort.dispose();
    }
  }

  /** Resolves with the chat once `turnId` is its next turn, or undefined when the turn has ended. */
  private async waitUntilNext(chatId: string, turnId: string): Promise<Open | undefined> {
    for (;;) {
      const loaded = await this.d.handler.load(chatDecider, streams.chat(chatId), true);
      const s = loaded.state;
      if (s.status !== 'open' || !s.pending.some((t) => t.turnId === turnId)) return undefined;
      if (s.pending[0]!.turnId === turnId) return s;
      await firstValueFrom(
        this.d.store
          .subscribeToStream(streams.chat(chatId), { afterRevision: loaded.revision })
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

/** Publishes deltas in order (seq 1, 2, ...) without making the model stream wait on each publish. */
class DeltaPublisher {
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: LiveBus,
    private readonly channel: string,
  ) {}

  push(d: LlmDelta): void {
    const seq = ++this.seq;
    const message =
      d.type === 'content'
        ? { seq, type: 'content', content: d.text }
        : {
            seq,
            type: 'tool_call',
            index: d.index,
            id: d.id ?? null,
            name: d.name ?? null,
            arguments: d.argumentsDelta ?? '',
          };
    this.chain = this.chain.then(() => this.bus.publish(this.channel, message)).catch(() => {});
  }

  async end(): Promise<void> {
    await this.chain;
    await this.bus.end(this.channel).catch(() => {});
  }
}

function ignoreStale(err: unknown): void {
  if (!(err instanceof IllegalStateError)) throw err;
}
