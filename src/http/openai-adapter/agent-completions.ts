/**
 * Agent mode (reference §7.1): the last user message becomes a chat turn — in the chat named by
 * `X-Chat-ID`, or a new one — and the turn's reply becomes a completion, whole or as chunks of the
 * turn's text deltas. Usage comes from the AssistantMessageCompleted event.
 */
import type { Request, Response } from 'express';
import type { ChatService, Posted } from '../../commands/chat/chat-service.js';
import { asChatId, asUserId, type ChatId } from '../../commands/ids.js';
import type { ContentPartInput } from '../../commands/chat/chat-schemas.js';
import {
  ForbiddenError,
  IllegalStateError,
  NotFoundError,
  PayloadTooLargeError,
  SinasError,
  ValidationError,
} from '../../errors.js';
import type { UsageData } from '../../events/chat-events.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import type { ChatFeed } from '../../runtime/chat-feed/chat-feed.js';
import { holds, principalOf } from '../auth.js';
import { agentChat, partAccess } from '../chats.js';
import { commandIdOf } from '../idempotency.js';
import { TurnWatch } from '../../commands/chat/turn-watch.js';
import type { TurnWaiter } from '../../runtime/turns/turn-waiter.js';
import { completedReply, stopped } from '../turn-outcome.js';
import { chunkStream } from './chunk-stream.js';
import { agentModelId, type AgentTarget } from './models.js';
import { chunk, completion, completionHead, usageChunk, type CompletionHead } from './wire.js';
import type { AdapterMessage, CompletionRequest } from './request.js';
import { readYourWrites } from '../read-your-writes.js';

export interface AgentCompletionDeps {
  readonly chats: ChatService;
  /** a chat's frames, for a streamed completion */
  readonly feed: ChatFeed;
  readonly waiter: ProjectionWaiter;
  readonly turnTimeoutMs: number;
  readonly consistencyTimeoutMs: number;
  /** waits for a posted turn's reply */
  readonly turns: TurnWaiter;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function agentCompletion(
  d: AgentCompletionDeps,
  req: Request,
  res: Response,
  target: AgentTarget,
  body: CompletionRequest,
): Promise<void> {
  const { index, content } = lastUserMessage(body.messages);
  if (!holds(req, agentChat(target)))
    throw new ForbiddenError(`Not authorized to chat with agent '${target.namespace}/${target.name}'`);
  const actor = principalOf(req).userId;
  const commandId = commandIdOf(req);
  const chatId = await chatFor(d.chats, req.get('x-chat-id'), target, actor, commandId);
  const posted = await d.chats
    .postMessage(chatId, { content }, { commandId: `${commandId}:message`, actor }, partAccess(req))
    .catch((err) => Promise.reject(renamed(err, 'content', `messages.${index}.content`)));
  res.setHeader('X-Chat-ID', chatId);
  const head = completionHead(agentModelId(target));
  if (body.stream) return streamTurn(d, res, chatId, posted, head, body.includeUsage);
  const end = stopped(await d.turns.stop({ chatId, ...posted }, false), chatId);
  if (end.kind !== 'ended') throw new IllegalStateError('the turn waits for approvals');
  await readYourWrites(d, ['chats'], end.event.position, res);
  const reply = completedReply(end.event);
  res.json(
    completion(head, { content: reply.content, toolCalls: [], finishReason: 'stop', usage: reply.usage }),
  );
}

/** Only the last user message counts; every other message is ignored (the chat holds the history). */
function lastUserMessage(messages: readonly AdapterMessage[]): {
  index: number;
  content: string | readonly ContentPartInput[];
} {
  const index = messages.findLastIndex((m) => m.role === 'user');
  if (index < 0) throw new ValidationError('messages: agent mode needs a user message', 'messages');
  const content = messages[index]!.userParts ?? messages[index]!.content;
  if (!content)
    throw new ValidationError(`messages.${index}.content: must not be empty`, `messages.${index}.content`);
  return { index, content };
}

/** The caller's chat with this agent named by X-Chat-ID (404 otherwise), or a new chat. */
async function chatFor(
  chats: ChatService,
  header: string | undefined,
  target: AgentTarget,
  actor: string,
  commandId: string,
): Promise<ChatId> {
  const ref = `${target.namespace}/${target.name}`;
  if (header !== undefined) {
    const notFound = new NotFoundError(`no chat '${header}' of yours with agent '${ref}'`, 'X-Chat-ID');
    if (!UUID.test(header)) throw notFound;
    const chat = await chats
      .get(asChatId(header), asUserId(actor))
      .catch((err) => Promise.reject(err instanceof NotFoundError ? notFound : err));
    if (chat.agent.namespace !== target.namespace || chat.agent.name !== target.name) throw notFound;
    return chat.chatId;
  }
  const created = await chats
    .create(
      target.namespace,
      target.name,
      { title: `OpenAI adapter: ${ref}` },
      { commandId: `${commandId}:chat`, actor },
    )
    .catch((err) =>
      Promise.reject(
        err instanceof NotFoundError ? new NotFoundError(`agent '${ref}' not found`, 'model') : err,
      ),
    );
  if (created.state.status !== 'open') throw new IllegalStateError('the chat was not created');
  return created.state.chatId;
}

/** An error about the posted `content` (or one of its parts), renamed to the request's field. */
function renamed(err: unknown, from: string, to: string): unknown {
  if (!(err instanceof SinasError) || (err.field !== from && !err.field?.startsWith(`${from}.`))) return err;
  const field = to + err.field.slice(from.length);
  const message = `${field}: ${err.message.replace(new RegExp(`^${err.field.replace(/\./g, '\\.')}: `), '')}`;
  if (err instanceof ValidationError) return new ValidationError(message, field);
  if (err instanceof PayloadTooLargeError) return new PayloadTooLargeError(message, field);
  if (err instanceof NotFoundError) return new NotFoundError(message, field);
  return err;
}

/**
 * Chunks of this turn's text deltas (not an earlier queued turn's), then the end or the failure.
 * The stream follows the turn to its end: through its tool rounds (each round's text streams as it
 * comes), not just to its first reply.
 *
 * A round can be replaced after some of its text went out (its worker died, or another took the
 * turn over): the replacement's deltas are held back, and at the end the client gets the rest of
 * the reply when what it has is how the reply begins, or an error (`turn_retried`) when it is not:
 * a client never assembles text the stored reply does not have.
 */
function streamTurn(
  d: AgentCompletionDeps,
  res: Response,
  chatId: string,
  posted: Posted,
  head: CompletionHead,
  includeUsage: boolean,
): void {
  const out = chunkStream(res);
  out.send(chunk(head, { role: 'assistant' }));
  const watch = new TurnWatch(posted.turnId);
  let running: string | undefined;
  /** this turn's current model round: started and not yet answered */
  let roundOpen = false;
  /** the text of the current round that went out */
  let sent = '';
  /** the current round replaced one whose text partly went out: its own deltas are held back */
  let replaced = false;
  const finish = (event: string, data: { error?: string; usage?: UsageData; content?: string }) => {
    if (event === 'AssistantMessageCompleted') {
      const content = data.content ?? '';
      if (replaced && !content.startsWith(sent))
        return out.fail(
          `the reply was generated again after part of it was streamed; GET /chats/${chatId} has it`,
          'turn_retried',
        );
      if (replaced && content.length > sent.length)
        out.send(chunk(head, { content: content.slice(sent.length) }));
      out.send(chunk(head, {}, 'stop'));
      if (includeUsage && data.usage) out.send(usageChunk(head, data.usage));
      out.done();
    } else if (event === 'TurnFailed') out.fail(data.error ?? 'the model failed', 'turn_failed');
    else out.fail('the turn was cancelled', 'turn_cancelled');
  };
  const sub = d.feed.frames(chatId, { revision: posted.revision, seq: 0 }).subscribe({
    next: (f) => {
      const data = f.data as { turnId?: string; content?: string | null; error?: string; usage?: UsageData };
      if (f.event === 'message') {
        if (running !== posted.turnId || !data.content || replaced) return;
        sent += data.content;
        out.send(chunk(head, { content: data.content }));
        return;
      }
      if (f.event === 'TurnStarted') running = data.turnId;
      if (data.turnId !== posted.turnId) return;
      if (f.event === 'TurnStarted') {
        if (!roundOpen) [sent, replaced] = ['', false];
        else if (sent) replaced = true; // a new attempt of the round whose text partly went out
        roundOpen = true;
      } else if (f.event === 'AssistantMessageCompleted') roundOpen = false;
      const stop = watch.see({ type: f.event, data: f.data });
      if (stop?.kind === 'ended') finish(f.event, f.data as Parameters<typeof finish>[1]);
    },
    error: (err: unknown) => out.fail(err instanceof Error ? err.message : String(err), 'stream_failed'),
  });
  const timer = setTimeout(
    () =>
      out.fail(
        `no reply within ${d.turnTimeoutMs} ms; the turn goes on, see GET /chats/${chatId}`,
        'timeout',
      ),
    d.turnTimeoutMs,
  );
  void out.closed.then(() => {
    clearTimeout(timer);
    sub.unsubscribe();
  });
}
