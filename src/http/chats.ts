/** The chat runtime endpoints (reference §3): create, list, get, update, delete, messages, SSE, cancel. */
import type { Request, Response } from 'express';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { ChatService } from '../commands/chat/chat-service.js';
import { invokeBody, type Invoker } from '../commands/chat/invoke.js';
import { createChatBody, sendMessageBody, updateChatBody } from '../commands/chat/chat-schemas.js';
import { IllegalStateError, NotFoundError } from '../errors.js';
import type { ChatEvent } from '../events/chat-events.js';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { streams } from '../events/stream-names.js';
import type { ChatQueries } from '../projections/chat-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import type { LiveBus } from '../runtime/live-bus/live-bus.js';
import { principalOf } from './auth.js';
import { chatFrames } from './chat-stream.js';
import {
  chatResponse,
  chatSchema,
  chatWithMessagesSchema,
  messageResponse,
  messageSchema,
  turnResponse,
} from './chat-responses.js';
import { commandIdOf } from './idempotency.js';
import { HttpProblem } from './problem.js';
import { queryOf, type RouteRegistry } from './routes.js';
import { openSse, resumePoint, type SseConnection, type SseFrame } from './sse.js';

export interface ChatRouteDeps {
  readonly chats: ChatService;
  readonly invoker: Invoker;
  readonly queries: ChatQueries;
  readonly store: EventStore;
  readonly bus: LiveBus;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  readonly turnTimeoutMs: number;
}

const TERMINAL = new Set(['AssistantMessageCompleted', 'TurnFailed', 'TurnCancelled']);
const chatIdParam = { chat_id: { type: 'string', format: 'uuid' } };
const agentParams = {
  namespace: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$' },
  name: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9 _\\-():]*$' },
};
const tags = ['Chats'];

export function registerChatRoutes(registry: RouteRegistry, d: ChatRouteDeps): void {
  const ctx = (req: Request) => ({ commandId: commandIdOf(req), actor: principalOf(req).userId });
  const chatOf = async (req: Request) => {
    const row = await d.queries.get(req.params.chat_id as string, principalOf(req).userId);
    if (!row) throw new NotFoundError('chat not found');
    return row;
  };
  const afterWrite = async (position: bigint | undefined, res: Response) => {
    if (!(await d.waiter.waitFor(['chats'], position, d.consistencyTimeoutMs)))
      res.setHeader('Sinas-Consistency', 'pending');
  };

  registry.add({
    method: 'post',
    path: '/agents/:namespace/:name/chats',
    summary: 'Start a chat with an agent',
    tags,
    params: agentParams,
    body: createChatBody,
    responses: { 200: chatSchema },
    handler: async (req, res) => {
      const { namespace, name } = req.params as { namespace: string; name: string };
      const r = await d.chats.create(namespace, name, req.body, ctx(req));
      await afterWrite(r.position, res);
      const chatId = r.state.status === 'open' ? r.state.chatId : '';
      res.json(chatResponse((await d.queries.get(chatId, principalOf(req).userId))!));
    },
  });
  registry.add({
    method: 'post',
    path: '/agents/:namespace/:name/invoke',
    summary: 'Send one message to an agent and get the reply (session_key keeps one chat per key)',
    tags,
    params: agentParams,
    body: invokeBody,
    responses: {
      200: {
        type: 'object',
        properties: {
          reply: { type: 'string' },
          chat_id: { type: 'string' },
          session_key: { type: ['string', 'null'] },
          usage: { type: ['object', 'null'] },
        },
      },
    },
    handler: async (req, res) => {
      const { namespace, name } = req.params as { namespace: string; name: string };
      const request = d.invoker.parse(req.body);
      const chatId = await d.invoker.chatFor(namespace, name, request, ctx(req));
      const posted = await d.chats.postMessage(
        chatId,
        { content: request.message },
        { ...ctx(req), commandId: `${ctx(req).commandId}:message` },
      );
      const end = await awaitTurnEnd(d.store, chatId, posted.revision, posted.turnId, d.turnTimeoutMs);
      await afterWrite(end.position, res);
      const reply = completedReply(end);
      res.json({
        reply: reply.content,
        chat_id: chatId,
        session_key: request.session_key ?? null,
        usage: reply.usage,
      });
    },
  });
  registry.add({
    method: 'get',
    path: '/chats',
    summary: "The caller's chats, most recently updated first",
    tags,
    query: {
      include_archived: { type: 'boolean', default: false },
      skip: { type: 'integer', minimum: 0, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: chatSchema } },
    handler: async (req, res) => {
      const q = queryOf(req) as { include_archived: boolean; skip: number; limit: number };
      const rows = await d.queries.list(principalOf(req).userId, {
        includeArchived: q.include_archived,
        skip: q.skip,
        limit: q.limit,
      });
      res.json(rows.map(chatResponse));
    },
  });
  registry.add({
    method: 'get',
    path: '/chats/:chat_id',
    summary: 'A chat with its messages, turns and pending approvals',
    tags,
    params: chatIdParam,
    responses: { 200: chatWithMessagesSchema },
    handler: async (req, res) => {
      const chat = await chatOf(req);
      const [messages, turns] = await Promise.all([d.queries.messages(chat.id), d.queries.turns(chat.id)]);
      res.json({
        ...chatResponse(chat),
        messages: messages.map(messageResponse),
        turns: turns.map(turnResponse),
        pending_approvals: [],
      });
    },
  });
  registry.add({
    method: 'put',
    path: '/chats/:chat_id',
    summary: 'Rename, archive or restore a chat',
    tags,
    params: chatIdParam,
    body: updateChatBody,
    responses: { 200: chatSchema },
    handler: async (req, res) => {
      const r = await d.chats.update(req.params.chat_id as string, req.body, ctx(req));
      await afterWrite(r.position, res);
      res.json(chatResponse(await chatOf(req)));
    },
  });
  registry.add({
    method: 'delete',
    path: '/chats/:chat_id',
    summary: 'Archive a chat (it stays in the audit history)',
    tags,
    params: chatIdParam,
    responses: { 204: undefined },
    handler: async (req, res) => {
      const r = await d.chats.update(req.params.chat_id as string, { archived: true }, ctx(req));
      await afterWrite(r.position, res);
      res.status(204).send();
    },
  });
  registry.add({
    method: 'post',
    path: '/chats/:chat_id/messages',
    summary: "Send a message and wait for the agent's reply",
    tags,
    params: chatIdParam,
    body: sendMessageBody,
    responses: { 200: messageSchema },
    handler: async (req, res) => {
      const chatId = req.params.chat_id as string;
      const posted = await d.chats.postMessage(chatId, req.body, ctx(req));
      const end = await awaitTurnEnd(d.store, chatId, posted.revision, posted.turnId, d.turnTimeoutMs);
      await afterWrite(end.position, res);
      sendTurnOutcome(res, chatId, end);
    },
  });
  registry.add({
    method: 'post',
    path: '/chats/:chat_id/messages/stream',
    summary: 'Send a message and stream the reply (SSE)',
    tags,
    params: chatIdParam,
    body: sendMessageBody,
    responses: { 200: { type: 'string', description: 'text/event-stream' } as never },
    handler: async (req, res) => {
      const chatId = req.params.chat_id as string;
      const posted = await d.chats.postMessage(chatId, req.body, ctx(req));
      res.setHeader('X-Stream-Channel', posted.turnId);
      streamTurn(
        req,
        res,
        d,
        chatId,
        posted.turnId,
        resumePoint(req) ?? { revision: posted.revision, seq: 0 },
      );
    },
  });
  registry.add({
    method: 'get',
    path: '/chats/:chat_id/stream/:channel_id',
    summary: "Reconnect to a turn's stream (Last-Event-ID or ?after= resumes)",
    tags,
    params: { ...chatIdParam, channel_id: { type: 'string', format: 'uuid' } },
    query: { after: { type: 'string', pattern: '^\\d+(\\.\\d+)?$' }, last_id: { type: 'string' } },
    responses: { 200: { type: 'string' } as never },
    handler: async (req, res) => {
      const chat = await chatOf(req);
      const turnId = req.params.channel_id as string;
      const events = await d.store.readStream(streams.chat(chat.id));
      const posted = events.find(
        (e) => e.type === 'UserMessagePosted' && (e.data as { turnId: string }).turnId === turnId,
      );
      if (!posted) throw new NotFoundError('no such turn in this chat', 'channel_id');
      streamTurn(req, res, d, chat.id, turnId, resumePoint(req) ?? { revision: posted.revision, seq: 0 });
    },
  });
  registry.add({
    method: 'get',
    path: '/chats/:chat_id/events',
    summary: 'Every event of the chat from any offset, then live (SSE; Last-Event-ID or ?after=)',
    tags,
    params: chatIdParam,
    query: { after: { type: 'string', pattern: '^\\d+(\\.\\d+)?$' } },
    responses: { 200: { type: 'string' } as never },
    handler: async (req, res) => {
      // The events are read while the chat's owner is checked; nothing is sent before that passes.
      let sse: SseConnection | undefined = undefined;
      const early: SseFrame[] = [];
      let failed: unknown;
      const fail = (err: unknown) => {
        sse!.send({ event: 'error', data: { error: String((err as Error).message) } });
        sse!.end();
      };
      const sub = chatFrames(d.store, d.bus, req.params.chat_id as string, resumePoint(req)).subscribe({
        next: (f) => (sse ? sse.send(f) : early.push(f)),
        error: (err) => (sse ? fail(err) : (failed = err)),
      });
      try {
        await chatOf(req);
      } catch (err) {
        sub.unsubscribe();
        throw err;
      }
      sse = openSse(req, res);
      for (const f of early.splice(0)) sse.send(f);
      if (failed !== undefined) fail(failed);
      await sse.closed;
      sub.unsubscribe();
    },
  });
  registry.add({
    method: 'post',
    path: '/chats/:chat_id/cancel',
    summary: 'Cancel the running turn',
    tags,
    params: chatIdParam,
    responses: { 200: { type: 'object' } },
    handler: async (req, res) => {
      const r = await d.chats.cancel(req.params.chat_id as string, ctx(req));
      const cancelled = r.events.find((e) => e.type === 'TurnCancelled');
      res.json({
        status: 'cancelled',
        turn_id: (cancelled?.data as { turnId?: string } | undefined)?.turnId ?? null,
      });
    },
  });
}

/** The event that ends the turn: its message, its failure, or its cancellation. */
export async function awaitTurnEnd(
  store: EventStore,
  chatId: string,
  afterRevision: bigint,
  turnId: string,
  timeoutMs: number,
): Promise<RecordedEvent> {
  try {
    return await firstValueFrom(
      store.subscribeToStream(streams.chat(chatId), { afterRevision }).pipe(
        filter((e) => TERMINAL.has(e.type) && (e.data as { turnId?: string }).turnId === turnId),
        timeout(timeoutMs),
      ),
    );
  } catch {
    throw new HttpProblem({
      title: 'Agent execution timed out',
      status: 504,
      detail: `no reply within ${timeoutMs} ms; the turn goes on, see GET /chats/${chatId}`,
    });
  }
}

/** The reply a finished turn produced; a failed turn is a 502 naming the reason, a cancelled one a 409. */
function completedReply(
  end: RecordedEvent,
): Extract<ChatEvent, { type: 'AssistantMessageCompleted' }>['data'] {
  const ev = { type: end.type, data: end.data } as ChatEvent;
  if (ev.type === 'AssistantMessageCompleted') return ev.data;
  if (ev.type === 'TurnFailed') {
    throw new HttpProblem({
      title: 'The model failed',
      status: 502,
      detail: ev.data.error,
      code: 'turn_failed',
    });
  }
  throw new IllegalStateError('the turn was cancelled');
}

function sendTurnOutcome(res: Response, chatId: string, end: RecordedEvent): void {
  const m = completedReply(end);
  res.json(
    messageResponse({
      id: m.messageId,
      chat_id: chatId,
      role: 'assistant',
      content: m.content,
      tool_calls: m.toolCalls.length ? m.toolCalls : null,
      turn_id: m.turnId,
      model: m.model,
      usage: m.usage,
      agent_version: String(m.agentVersion),
      created_at: new Date(m.at),
    }),
  );
}

/** SSE for one turn: from `from` until the turn ends, then `done` (or `error`). */
function streamTurn(
  req: Request,
  res: Response,
  d: ChatRouteDeps,
  chatId: string,
  turnId: string,
  from: { revision: bigint; seq: number },
): void {
  const sse = openSse(req, res);
  const sub = chatFrames(d.store, d.bus, chatId, from).subscribe({
    next: (f) => {
      sse.send(f);
      if (!TERMINAL.has(f.event)) return;
      const data = f.data as { turnId?: string; error?: string };
      if (data.turnId !== turnId) return;
      if (f.event === 'AssistantMessageCompleted') sse.send({ event: 'done', data: { status: 'completed' } });
      else if (f.event === 'TurnFailed')
        sse.send({ event: 'error', data: { error: data.error ?? 'the model failed' } });
      else sse.send({ event: 'done', data: { status: 'cancelled' } });
      sse.end();
    },
    error: (err) => {
      sse.send({ event: 'error', data: { error: String((err as Error).message) } });
      sse.end();
    },
  });
  void sse.closed.then(() => sub.unsubscribe());
}
