/**
 * `POST /agents/{ns}/{name}/invoke`: send one message and get the reply, optionally within a
 * session (`session_key`) that maps to one chat per agent, created once even under concurrent calls.
 */
import { randomUUID } from 'node:crypto';
import { IllegalStateError, ValidationError } from '../../errors.js';
import { asUserId, newChatId, type ChatId } from '../../events/ids.js';
import { streams } from '../../events/stream-names.js';
import type { CommandContext, CommandHandler } from '../command-handler.js';
import { sessionDecider } from '../session/session-decider.js';
import { validate, type JSONSchema } from '../validation.js';
import { messageContent } from './chat-schemas.js';
import type { ChatService } from './chat-service.js';

export const invokeBody: JSONSchema = {
  type: 'object',
  required: ['message'],
  additionalProperties: false,
  properties: {
    message: messageContent,
    session_key: { type: 'string', minLength: 1, maxLength: 500, pattern: '^[^\\s/][^/]*$' },
    reset: { type: 'boolean', default: false },
    input: { type: 'object' },
  },
};

export interface InvokeRequest {
  readonly message: unknown;
  readonly session_key?: string;
  readonly reset: boolean;
  readonly input?: Record<string, unknown>;
}

export class Invoker {
  constructor(
    private readonly handler: CommandHandler,
    private readonly chats: ChatService,
  ) {}

  parse(body: unknown): InvokeRequest {
    if (body === undefined) throw new ValidationError('body: required', 'body');
    return validate<InvokeRequest>(invokeBody, structuredClone(body));
  }

  /** The chat this invocation talks to: the session's (created on first use) or a new one-shot chat. */
  async chatFor(namespace: string, name: string, req: InvokeRequest, ctx: CommandContext): Promise<ChatId> {
    if (!req.session_key) return this.createChat(namespace, name, newChatId(), req, ctx, null);
    const stream = streams.session(`${namespace}/${name}`, req.session_key);
    const candidate = newChatId();
    const r = await this.handler.handle(
      sessionDecider,
      stream,
      {
        type: 'BindSession',
        chatId: candidate,
        userId: asUserId(ctx.actor),
        reset: req.reset,
        at: new Date().toISOString(),
      },
      { ...ctx, commandId: randomUUID() },
    );
    if (r.state.status !== 'bound') throw new IllegalStateError('session was not bound');
    // Whoever bound the session creates its chat; anyone may finish that if the binder died first.
    return this.createChat(namespace, name, r.state.chatId, req, ctx, req.session_key);
  }

  private async createChat(
    namespace: string,
    name: string,
    chatId: ChatId,
    req: InvokeRequest,
    ctx: CommandContext,
    sessionKey: string | null,
  ): Promise<ChatId> {
    await this.chats
      .create(
        namespace,
        name,
        { ...(req.input ? { input: req.input } : {}) },
        { ...ctx, commandId: `create-${chatId}` },
        sessionKey,
        chatId,
      )
      .catch((err) => (err instanceof IllegalStateError ? undefined : Promise.reject(err)));
    return chatId;
  }
}
