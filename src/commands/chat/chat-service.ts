/**
 * Chat use cases: create a chat with an agent, post a message (which requests a turn), rename,
 * archive, cancel. Only the chat's owner may see or change it; anyone else gets a 404.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, StreamDeletedError, ValidationError } from '../../errors.js';
import { ignoreIf, isA } from '../../expected-errors.js';
import type { ChatMessageData } from '../../events/chat-events.js';
import type { EventStore } from '../../events/event-store.js';
import {
  asTurnId,
  asUserId,
  newChatId,
  newTurnId,
  type ChatId,
  type TurnId,
  type UserId,
} from '../../events/ids.js';
import { streams } from '../../events/stream-names.js';
import {
  CommandFor,
  type CommandContext,
  type CommandHandler,
  type CommandResult,
} from '../command-handler.js';
import type { ResourceService } from '../resource/resource-service.js';
import { validate, type JSONSchema } from '../validation.js';
import { coerceAndValidateInput } from './chat-input.js';
import { forkChat, type Forked } from './chat-fork.js';
import type { RenderTemplate } from './render-template.js';
import {
  chatDecider,
  type ChatCommand,
  type ChatState,
  type MessagePolicy,
  type OpenChat,
} from './chat-decider.js';
import {
  approvalBody,
  contentText,
  createChatBody,
  sendMessageBody,
  updateChatBody,
  type MessageContentInput,
} from './chat-schemas.js';
import type { StoredPart } from '../../events/message-parts.js';

export type { OpenChat } from './chat-decider.js';

export interface Posted {
  readonly messageId: string;
  readonly turnId: TurnId;
  readonly revision: bigint;
  readonly position: bigint | undefined;
}

/** who posts: their id, and whether they hold a permission (a collection file part needs download) */
export interface PartAccess {
  readonly userId: string;
  may(permission: string): boolean;
}

/** The port that takes in a message's non-text parts (runtime/parts/part-intake.ts). */
export interface MessageParts {
  /** the text, and the parts as the event records them (blob references) when one is not text */
  take(
    content: MessageContentInput,
    who: PartAccess,
  ): Promise<{ readonly text: string; readonly parts?: readonly StoredPart[] }>;
  /** removes the blobs of parts that were never recorded */
  discard(parts: readonly StoredPart[] | undefined): Promise<void>;
  /** the parts with each blob they own copied to a fresh key (a fork's own copy of its history) */
  copy(parts: readonly StoredPart[]): Promise<readonly StoredPart[]>;
}

export class ChatService {
  constructor(
    private readonly handler: CommandHandler,
    private readonly store: EventStore,
    private readonly agents: ResourceService,
    /** renders an agent's initial messages with the chat's input */
    private readonly render: RenderTemplate,
    /** starts the turn's job at once (the reactor would too, a little later; the job id dedupes) */
    private readonly afterPost: (chatId: ChatId, turnId: TurnId, wake?: string) => void = () => {},
    /** throws when a turn could not start now (its queue is unreachable): then nothing is recorded */
    private readonly beforeTurn: () => void = () => {},
    private readonly now: () => Date = () => new Date(),
    /** stores a message's non-text parts (blobs) and checks what they name; without it they are refused */
    private readonly parts?: MessageParts,
  ) {}

  async create(
    namespace: string,
    name: string,
    body: unknown,
    ctx: CommandContext,
    sessionKey: string | null = null,
    chatId: ChatId = newChatId(),
  ): Promise<CommandResult<ChatState>> {
    const req = validate<{ input?: Record<string, unknown>; title?: string; expires_in?: number }>(
      createChatBody,
      structuredClone(body ?? {}),
    );
    const agent = await this.agents.at(namespace, name);
    if (agent.status !== 'active') throw new NotFoundError(`agent '${namespace}/${name}' not found`);
    const input = coerceAndValidateInput((agent.spec.input_schema ?? {}) as JSONSchema, req.input ?? {});
    const at = this.now();
    const initial = (agent.spec.initial_messages ?? []) as {
      role: ChatMessageData['role'];
      content: string;
    }[];
    return this.handler.handle(
      chatDecider,
      streams.chat(chatId),
      {
        type: 'CreateChat',
        chatId,
        userId: asUserId(ctx.actor),
        agent: { namespace, name, id: agent.id },
        agentVersion: agent.version,
        title: req.title ?? (sessionKey ? `invoke:${sessionKey}` : `Chat with ${namespace}/${name}`),
        input,
        sessionKey,
        expiresAt: req.expires_in ? new Date(at.getTime() + req.expires_in * 1000).toISOString() : null,
        initialMessages: initial.map((m) => ({
          messageId: randomUUID(),
          role: m.role,
          content: this.render(m.content, input),
        })),
        at: at.toISOString(),
      },
      ctx,
    );
  }

  /** A new chat of the caller's with this chat's history up to `body.at` (chat-fork.ts). */
  fork(chatId: ChatId, body: unknown, ctx: CommandContext): Promise<Forked> {
    return forkChat(
      { handler: this.handler, store: this.store, now: this.now, parts: this.parts },
      chatId,
      body,
      ctx,
    );
  }

  /** The chat, if `userId` owns it; a 404 otherwise (someone else's chat is not revealed). */
  async get(chatId: ChatId, userId: UserId): Promise<OpenChat & { revision: bigint }> {
    const loaded = await this.handler.load(chatDecider, streams.chat(chatId), false);
    if (loaded.state.status !== 'open' || loaded.state.userId !== userId)
      throw new NotFoundError('chat not found');
    return { ...loaded.state, revision: loaded.revision! };
  }

  /** `who`: the poster's permissions, which a collection file part is checked against */
  async postMessage(chatId: ChatId, body: unknown, ctx: CommandContext, who?: PartAccess): Promise<Posted> {
    const req = validate<{ content: MessageContentInput }>(sendMessageBody, structuredClone(body ?? {}));
    const chat = await this.get(chatId, asUserId(ctx.actor));
    this.beforeTurn();
    const { text, parts } = await this.takeContent(req.content, ctx, who);
    const messageId = randomUUID();
    const turnId = newTurnId();
    const at = this.now().toISOString();
    const r = await this.run(
      chatId,
      // the agent's message_policy says what a message does to a pending turn: the agent is read only then
      new CommandFor<ChatCommand, ChatState>(async (state) => ({
        type: 'PostUserMessage',
        messageId,
        turnId,
        content: text,
        ...(parts ? { parts } : {}),
        policy: state.status === 'open' && state.pending.length > 0 ? await this.policyOf(chat) : 'enqueue',
        by: asUserId(ctx.actor),
        at,
      })),
      ctx,
    ).catch(async (err: unknown) => {
      await this.parts?.discard(parts); // the message was not recorded: its blobs go too
      throw err;
    });
    if (r.duplicate) {
      await this.parts?.discard(parts); // the first attempt's parts are the ones recorded
      return this.earlierPost(chatId, ctx.commandId);
    }
    this.afterPost(chatId, turnId);
    return { messageId, turnId, revision: r.revision!, position: r.position };
  }

  private async takeContent(content: MessageContentInput, ctx: CommandContext, who?: PartAccess) {
    if (typeof content === 'string' || content.every((p) => p.type === 'text'))
      return { text: contentText(content), parts: undefined };
    if (!this.parts) throw new ValidationError('content: only text parts are supported here', 'content');
    return this.parts.take(content, who ?? { userId: ctx.actor, may: () => false });
  }

  private async policyOf(chat: OpenChat): Promise<MessagePolicy> {
    // the agent was deleted since the chat began: its policy went with it, so the default applies
    const agent = await this.agents
      .at(chat.agent.namespace, chat.agent.name)
      .catch(ignoreIf(isA(NotFoundError, StreamDeletedError)));
    return (agent?.spec.message_policy as MessagePolicy | undefined) ?? 'enqueue';
  }

  /** A retried post (same command id): the message and turn the first attempt recorded. */
  private async earlierPost(chatId: ChatId, commandId: string): Promise<Posted> {
    const events = await this.store.readStream(streams.chat(chatId));
    const e = events.find((x) => x.type === 'UserMessagePosted' && x.metadata.commandId === commandId);
    if (!e) throw new NotFoundError('the earlier message was not found');
    const d = e.data as { messageId: string; turnId: string };
    return { messageId: d.messageId, turnId: asTurnId(d.turnId), revision: e.revision, position: e.position };
  }

  async update(chatId: ChatId, body: unknown, ctx: CommandContext): Promise<CommandResult<ChatState>> {
    const req = validate<{ title?: string; archived?: boolean }>(updateChatBody, structuredClone(body ?? {}));
    await this.get(chatId, asUserId(ctx.actor));
    let last: CommandResult<ChatState> | undefined;
    const at = this.now().toISOString();
    if (req.title !== undefined)
      last = await this.run(
        chatId,
        { type: 'ChangeTitle', title: req.title, at },
        { ...ctx, commandId: `${ctx.commandId}:title` },
      );
    if (req.archived !== undefined)
      last = await this.run(
        chatId,
        { type: 'SetArchived', archived: req.archived, by: asUserId(ctx.actor), at },
        { ...ctx, commandId: `${ctx.commandId}:archived` },
      );
    return (
      last ?? {
        state: await this.get(chatId, asUserId(ctx.actor)),
        revision: undefined,
        position: undefined,
        events: [],
        duplicate: false,
      }
    );
  }

  /** Records who approved or rejected a tool call, and why; the turn's job then goes on. */
  async decideApproval(
    chatId: ChatId,
    toolCallId: string,
    body: unknown,
    ctx: CommandContext,
  ): Promise<{ turnId: TurnId; approved: boolean; position: bigint | undefined }> {
    const req = validate<{ approved: boolean; reason?: string | null }>(
      approvalBody,
      structuredClone(body ?? {}),
    );
    await this.get(chatId, asUserId(ctx.actor));
    this.beforeTurn();
    const r = await this.run(
      chatId,
      {
        type: 'DecideApproval',
        toolCallId,
        approved: req.approved,
        reason: req.reason ?? null,
        by: asUserId(ctx.actor),
        at: this.now().toISOString(),
      },
      ctx,
    );
    const decided = r.events.find((e) => e.type === 'ToolApprovalDecided')?.data as
      { turnId: TurnId } | undefined;
    const turnId = decided?.turnId ?? (await this.turnOfCall(chatId, toolCallId));
    this.afterPost(chatId, turnId, `wake-${toolCallId}`);
    return { turnId, approved: req.approved, position: r.position };
  }

  private async turnOfCall(chatId: ChatId, toolCallId: string): Promise<TurnId> {
    const events = await this.store.readStream(streams.chat(chatId));
    const e = events.find(
      (x) => x.type === 'ToolApprovalDecided' && (x.data as { toolCallId: string }).toolCallId === toolCallId,
    );
    return asTurnId((e?.data as { turnId: string } | undefined)?.turnId ?? '');
  }

  async cancel(chatId: ChatId, ctx: CommandContext): Promise<CommandResult<ChatState>> {
    const by = asUserId(ctx.actor);
    await this.get(chatId, by);
    return this.run(chatId, { type: 'CancelTurn', by, at: this.now().toISOString() }, ctx);
  }

  private run(
    chatId: ChatId,
    command: ChatCommand | CommandFor<ChatCommand, ChatState>,
    ctx: CommandContext,
  ): Promise<CommandResult<ChatState>> {
    return this.handler.handle(chatDecider, streams.chat(chatId), command, ctx);
  }
}
