/**
 * A sub-agent call's sub-chat (reference §4.1, §8 item 2): checked before it starts (the user may
 * chat with the agent, it is not already on the call path, the depth limit, the agent input, a
 * resumed `_chat_id` is a sub-chat of this chat with that agent), then created (owned by the chat's
 * user, titled `Sub-chat: <name>`, its `agent_input` the call's non-prompt, non-underscore
 * arguments) and given the prompt as a message that names the call, so that its turn's end wakes
 * the parent (subagent-reactor.ts). Every step is idempotent: a retried job repeats them safely.
 */
import { chatDecider } from '../../commands/chat/chat-decider.js';
import { coerceAndValidateInput } from '../../commands/chat/chat-input.js';
import type { RenderTemplate } from '../../commands/chat/render-template.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import { hasPermission, type PermissionMap } from '../../commands/identity/permissions.js';
import type { JSONSchema } from '../../commands/validation.js';
import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../../errors.js';
import { endsTurn, type ChatCreatedData, type ChatEvent } from '../../events/chat-events.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { asChatId, asTurnId, asUserId, stableUuid } from '../../events/ids.js';
import { streams } from '../../events/stream-names.js';
import type { ToolChat, ToolOutcome, ToolRun } from '../turns/tool-family.js';
import type { AgentCatalogue, FoundAgent } from './agent-catalogue.js';
import { agentPermission } from './subagent-tools.js';

export interface SubChatDeps {
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly catalogue: AgentCatalogue;
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
  readonly render: RenderTemplate;
  /** starts the sub-turn's job at once (the turn reactor would too, a moment later) */
  readonly enqueue: (chatId: string, turnId: string) => Promise<unknown>;
  /** how deep a tree may grow: a chat this many calls below its top chat calls no further */
  readonly maxDepth: number;
}

const SYSTEM = 'system';
type Posted = Extract<ChatEvent, { type: 'UserMessagePosted' }>['data'];

/** Checks the call; the sub-chat it runs in (a new one's id follows from the call). */
export async function linkSubChat(d: SubChatDeps, call: ToolRun, chat: ToolChat): Promise<string> {
  const agent = await calledAgent(d, call);
  const ref = `${agent.namespace}/${agent.name}`;
  if (!hasPermission(await d.permissionsOf(chat.userId), agentPermission(agent, 'chat', 'all')))
    throw new ForbiddenError(`Not authorized to chat with agent '${ref}'`);
  promptOf(call);
  const path = await pathBelow(d, chat);
  if (path.includes(ref))
    throw new ValidationError(
      `agent '${ref}' is already on the call path (${[...path, ref].join(' → ')}): a cycle is refused`,
      'agent',
    );
  if (path.length > d.maxDepth)
    throw new ValidationError(
      `sub-agent depth limit (${d.maxDepth}) reached: ${[...path, ref].join(' → ')}`,
      'agent',
    );
  inputOf(agent, call);
  const resume = call.arguments._chat_id;
  if (resume === undefined || resume === null || resume === '')
    return stableUuid(`subchat/${chat.chatId}/${call.toolCallId}`);
  const created = typeof resume === 'string' ? createdOf(await readChat(d, resume)) : undefined;
  if (
    created?.parent?.chatId !== chat.chatId ||
    created.userId !== chat.userId ||
    `${created.agent.namespace}/${created.agent.name}` !== ref
  )
    throw new ValidationError(`_chat_id: not a sub-chat of this chat with agent '${ref}'`, '_chat_id');
  return created.chatId;
}

/** Creates the sub-chat and posts the prompt unless done; its outcome once its turn ended. */
export async function advanceSubChat(
  d: SubChatDeps,
  call: ToolRun,
  chat: ToolChat,
  subChatId: string,
): Promise<ToolOutcome | undefined> {
  let events = await readChat(d, subChatId);
  const agent = await calledAgent(d, call);
  if (!createdOf(events)) {
    await create(d, call, chat, agent, subChatId);
    events = await readChat(d, subChatId);
  }
  const posted = postedFor(events, chat, call.toolCallId);
  if (!posted) {
    if (call.signal.aborted) return undefined; // the parent turn was cancelled: start nothing more
    await post(d, call, chat, subChatId);
    return undefined;
  }
  const end = endOf(events, posted.turnId);
  if (!end) return undefined;
  const base = { agent_name: agent.name, chat_id: subChatId };
  return 'error' in end
    ? { status: 'error', result: { ...base, error: end.error } }
    : { status: 'ok', result: { ...base, response: end.response } };
}

async function calledAgent(d: SubChatDeps, call: ToolRun): Promise<FoundAgent> {
  const { namespace = '', name = '' } = call.target.ref;
  const agent = await d.catalogue.byName(namespace, name).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  if (!agent) throw new NotFoundError(`agent '${namespace}/${name}' no longer exists`);
  return agent;
}

function promptOf(call: ToolRun): string {
  const prompt = call.arguments.prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '')
    throw new ValidationError('prompt: a non-empty string is required', 'prompt');
  return prompt;
}

/** `agent_input`: the non-prompt, non-underscore arguments, validated against the agent's input_schema. */
function inputOf(agent: FoundAgent, call: ToolRun): Record<string, unknown> {
  const raw = Object.fromEntries(
    Object.entries(call.arguments).filter(([k]) => k !== 'prompt' && !k.startsWith('_')),
  );
  return coerceAndValidateInput((agent.spec.input_schema ?? {}) as JSONSchema, raw);
}

/** The agents from the top chat's down to this chat's (the path a new sub-chat hangs below). */
async function pathBelow(d: SubChatDeps, chat: ToolChat): Promise<string[]> {
  const created = createdOf(await readChat(d, chat.chatId));
  return [...(created?.parent?.path ?? []), `${chat.agent.namespace}/${chat.agent.name}`];
}

async function create(d: SubChatDeps, call: ToolRun, chat: ToolChat, agent: FoundAgent, chatId: string) {
  const input = inputOf(agent, call);
  const initial = (agent.spec.initial_messages ?? []) as {
    role: 'system' | 'user' | 'assistant';
    content: string;
  }[];
  await d.handler
    .handle(
      chatDecider,
      streams.chat(chatId),
      {
        type: 'CreateChat',
        chatId: asChatId(chatId),
        userId: asUserId(chat.userId),
        agent: { namespace: agent.namespace, name: agent.name, id: agent.id },
        agentVersion: agent.version,
        title: `Sub-chat: ${agent.name}`,
        input,
        sessionKey: null,
        expiresAt: null,
        initialMessages: initial.map((m, i) => ({
          messageId: stableUuid(`subchat/${chatId}/initial/${i}`),
          role: m.role,
          content: d.render(m.content, input),
        })),
        parent: { chatId: chat.chatId, path: await pathBelow(d, chat) },
        at: new Date().toISOString(),
      },
      { commandId: `subagent-${chatId}-create`, actor: SYSTEM },
    )
    .catch((err: unknown) => {
      if (!(err instanceof IllegalStateError)) throw err; // created by an earlier job meanwhile
    });
}

async function post(d: SubChatDeps, call: ToolRun, chat: ToolChat, chatId: string) {
  const turnId = asTurnId(subTurnId(chat.chatId, call.toolCallId));
  await d.handler.handle(
    chatDecider,
    streams.chat(chatId),
    {
      type: 'PostUserMessage',
      messageId: stableUuid(`subchat/${chat.chatId}/${call.toolCallId}/message`),
      turnId,
      content: promptOf(call),
      policy: 'enqueue',
      by: asUserId(chat.userId),
      caller: { chatId: chat.chatId, turnId: callerTurn(call), toolCallId: call.toolCallId },
      at: new Date().toISOString(),
    },
    { commandId: `subagent-${chat.chatId}-${call.toolCallId}-post`, actor: chat.userId },
  );
  await d.enqueue(chatId, turnId);
}

/** The sub-turn a parent call starts (new or resumed sub-chat alike): named by the call. */
export function subTurnId(parentChatId: string, toolCallId: string): string {
  return stableUuid(`subchat/${parentChatId}/${toolCallId}/turn`);
}

/** The parent's turn (the turn runner names it on every call it runs). */
function callerTurn(call: ToolRun): string {
  if (!call.turnId) throw new IllegalStateError('a sub-agent call runs only within a turn');
  return call.turnId;
}

function readChat(d: SubChatDeps, chatId: string): Promise<RecordedEvent[]> {
  return d.store.readStream(streams.chat(chatId));
}

export function createdOf(events: readonly RecordedEvent[]): ChatCreatedData | undefined {
  const e = events.find((x) => x.type === 'ChatCreated');
  return e?.data as ChatCreatedData | undefined;
}

/** The message this call posted in the sub-chat. */
function postedFor(events: readonly RecordedEvent[], chat: ToolChat, toolCallId: string): Posted | undefined {
  for (const e of events) {
    if (e.type !== 'UserMessagePosted') continue;
    const d = e.data as Posted;
    if (d.caller?.chatId === chat.chatId && d.caller.toolCallId === toolCallId) return d;
  }
  return undefined;
}

/** How the sub-chat's turn ended: its reply, or why there is none; undefined while it runs. */
export function endOf(
  events: readonly RecordedEvent[],
  turnId: string,
): { response: string } | { error: string } | undefined {
  for (const e of events) {
    const d = e.data as { turnId?: string; content?: string; error?: string; reason?: string };
    if (d.turnId !== turnId || !endsTurn(e.type, e.data)) continue;
    if (e.type === 'AssistantMessageCompleted') return { response: d.content ?? '' };
    if (e.type === 'TurnFailed') return { error: d.error ?? 'the sub-agent failed' };
    if (d.reason === 'deleted') return { error: 'sub-chat deleted' };
    return { error: "the sub-agent's turn was cancelled" };
  }
  return undefined;
}
