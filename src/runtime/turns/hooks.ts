/**
 * Agent message hooks (reference §3.8 step 4): functions run on each user message before the model
 * sees it (`on_user_message`) and on each final reply before it is stored (`on_assistant_message`).
 * A synchronous hook runs as an execution (trigger HOOK) and its return decides: `{block: true,
 * reply?}` stops (the reply is the answer), `{content}` replaces the text for the next hook and
 * the record, anything else passes. A failure or timeout blocks or passes by the hook's `on_timeout`;
 * a hook the chat's user may not execute always blocks (a guard must not be skipped because the one
 * it guards against may not run it), and an asynchronous one is not run.
 * An asynchronous hook is requested and not waited for; an assistant one revises the stored reply
 * when it completes (see `hookReactor`). Execution ids derive from the turn and hook, so a retried
 * job finds the earlier runs instead of starting new ones.
 */
import type { ExecutionService, PresentExecution } from '../../commands/execution/execution-service.js';
import { isStopped } from '../../commands/execution/execution-service.js';
import { chatDecider } from '../../commands/chat/chat-decider.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import {
  ForbiddenError,
  IllegalStateError,
  NotFoundError,
  StreamDeletedError,
  ValidationError,
} from '../../errors.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import type { ExecutionRequestedData } from '../../events/execution-events.js';
import { asExecutionId, asTurnId, stableUuid, type ExecutionId } from '../../events/ids.js';
import { streams } from '../../events/stream-names.js';
import type { Projection } from '../../projections/projection.js';

export interface HookSpec {
  readonly function: string;
  readonly async?: boolean;
  readonly async_?: boolean;
  readonly on_timeout?: 'block' | 'passthrough';
}

export interface HookChat {
  readonly chatId: string;
  readonly userId: string;
  readonly agent: { readonly namespace: string; readonly name: string };
  readonly sessionKey: string | null;
}

export type HookOutcome =
  | { readonly kind: 'pass'; readonly content: string; readonly changedBy: readonly string[] }
  | { readonly kind: 'block'; readonly reply: string; readonly by: string };

const DEFAULT_BLOCK = { user: 'Message blocked by hook', assistant: 'Response blocked by hook' } as const;
/** `Message blocked: hook 'ns/name' <why>` (a reply: `Response blocked: …`) */
const blocked = (phase: 'user' | 'assistant', ref: string, why: string): HookOutcome => ({
  kind: 'block',
  reply: `${phase === 'user' ? 'Message' : 'Response'} blocked: hook '${ref}' ${why}`,
  by: `hook:${ref}`,
});

export function hooksOf(
  agentSpec: Readonly<Record<string, unknown>>,
  phase: 'user' | 'assistant',
): HookSpec[] {
  const hooks = (agentSpec.hooks ?? null) as Record<string, HookSpec[]> | null;
  return hooks?.[phase === 'user' ? 'on_user_message' : 'on_assistant_message'] ?? [];
}

export class MessageHooks {
  constructor(private readonly executions: ExecutionService) {}

  /**
   * Runs the phase's hooks in order on `content`: the synchronous ones (`which: 'sync'`), or only
   * requests the asynchronous ones (`'async'`; an assistant one needs the stored reply's id).
   * `scope` tells runs of the same hooks apart (each model attempt's reply is a new text).
   */
  async run(
    phase: 'user' | 'assistant',
    which: 'sync' | 'async',
    hooks: readonly HookSpec[],
    chat: HookChat,
    turnId: string,
    content: string,
    scope: string,
    messageId?: string,
  ): Promise<HookOutcome> {
    let text = content;
    const changedBy: string[] = [];
    for (const [i, hook] of hooks.entries()) {
      const ref = hook.function;
      const isAsync = hook.async === true || hook.async_ === true;
      if (isAsync !== (which === 'async')) continue;
      const key = `${chat.chatId}/${turnId}/${phase}/${scope}/${i}`;
      const payload = {
        message: { role: phase, content: text },
        chat_id: chat.chatId,
        agent: chat.agent,
        session_key: chat.sessionKey,
        user_id: chat.userId,
      };
      const link: ExecutionRequestedData['hook'] =
        isAsync && phase === 'assistant' && messageId
          ? { phase: 'assistant', ref, turnId, messageId }
          : undefined;
      const requested = await this.request(ref, payload, chat, key, link);
      if (isAsync) continue;
      if (!requested.ok && requested.denied) return blocked(phase, ref, requested.why);
      const verdict = requested.ok
        ? await this.verdictOf(requested.executionId)
        : ({ kind: 'failed', why: requested.why } as const);
      if (verdict.kind === 'failed') {
        if (hook.on_timeout !== 'block') continue;
        return blocked(phase, ref, verdict.why);
      }
      const out = verdict.output as { block?: unknown; reply?: unknown; content?: unknown } | null;
      if (out && typeof out === 'object' && out.block === true)
        return {
          kind: 'block',
          reply: typeof out.reply === 'string' ? out.reply : DEFAULT_BLOCK[phase],
          by: `hook:${ref}`,
        };
      if (out && typeof out === 'object' && typeof out.content === 'string' && out.content !== text) {
        text = out.content;
        changedBy.push(`hook:${ref}`);
      }
    }
    return { kind: 'pass', content: text, changedBy };
  }

  private async request(
    ref: string,
    payload: object,
    chat: HookChat,
    key: string,
    hook: ExecutionRequestedData['hook'],
  ): Promise<{ ok: true; executionId: ExecutionId } | { ok: false; why: string; denied?: true }> {
    const [namespace, name] = ref.split('/', 2) as [string, string];
    const executionId = asExecutionId(stableUuid(key));
    try {
      await this.executions.request(
        { namespace, name },
        payload,
        { type: 'HOOK', id: `hook:${ref}`, chatId: chat.chatId, ...(hook ? { hook } : {}) },
        { userId: chat.userId },
        { commandId: `hook-${executionId}`, executionId },
      );
    } catch (err) {
      if (err instanceof ForbiddenError)
        return { ok: false, why: 'is not permitted for this user', denied: true };
      if (err instanceof NotFoundError || err instanceof ValidationError)
        return { ok: false, why: `failed: ${err.message}` };
      if (!(err instanceof IllegalStateError)) throw err; // requested by an earlier attempt of this job
    }
    return { ok: true, executionId };
  }

  private async verdictOf(
    executionId: ExecutionId,
  ): Promise<{ kind: 'ok'; output: unknown } | { kind: 'failed'; why: string }> {
    const loaded = await this.executions.load(executionId);
    let s: PresentExecution | undefined = loaded.state;
    if (!isStopped(s))
      s = await this.executions.waitForStop(executionId, loaded.revision, s.request.timeoutMs + 60_000);
    if (!s || s.status === 'TIMED_OUT') return { kind: 'failed', why: 'timed out' };
    if (s.status === 'COMPLETED') return { kind: 'ok', output: s.output ?? null };
    if (s.status === 'AWAITING_INPUT')
      return { kind: 'failed', why: 'failed: a hook cannot wait for input()' };
    return { kind: 'failed', why: `failed: ${s.error ?? s.status.toLowerCase()}` };
  }
}

/**
 * Applies the results of asynchronous on_assistant_message hooks: a completed one that returned
 * `{content}` or `{block: true, reply?}` revises the stored reply (once: the command id is the execution's).
 */
export function hookReactor(store: EventStore, handler: CommandHandler): Projection {
  return {
    name: 'reactor_assistant_hooks',
    version: 1,
    filter: { categories: ['execution'], eventTypes: ['ExecutionCompleted'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, events) {
      for (const e of events) await revise(store, handler, e);
    },
  };
}

async function revise(store: EventStore, handler: CommandHandler, e: RecordedEvent): Promise<void> {
  const [first] = await store.readStream(e.streamName, { maxCount: 1 });
  const req = first?.data as unknown as ExecutionRequestedData | undefined;
  if (!req?.hook || req.hook.phase !== 'assistant' || !req.chatId) return;
  const out = (e.data as { output?: unknown }).output as {
    block?: unknown;
    reply?: unknown;
    content?: unknown;
  };
  let content: string | undefined;
  if (out && typeof out === 'object' && out.block === true)
    content = typeof out.reply === 'string' ? out.reply : DEFAULT_BLOCK.assistant;
  else if (out && typeof out === 'object' && typeof out.content === 'string') content = out.content;
  if (content === undefined) return;
  await handler
    .handle(
      chatDecider,
      streams.chat(req.chatId),
      {
        type: 'ReviseAssistantMessage',
        turnId: asTurnId(req.hook.turnId),
        messageId: req.hook.messageId,
        content,
        by: `hook:${req.hook.ref}`,
        at: new Date().toISOString(),
      },
      { commandId: `revise-${req.executionId}`, actor: 'system', causationId: e.id },
    )
    .catch((err) =>
      err instanceof NotFoundError || err instanceof StreamDeletedError ? undefined : Promise.reject(err),
    );
}
