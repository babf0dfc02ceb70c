/** The chat runtime endpoints (reference §3): create, list, get, update, delete, messages, SSE, cancel. */
import type { Request, Response } from 'express';
import type { ChatService, PartAccess } from '../commands/chat/chat-service.js';
import { asChatId, asUserId, type ChatId } from '../commands/ids.js';
import { invokeBody, type Invoker } from '../commands/chat/invoke.js';
import {
  approvalBody,
  createChatBody,
  forkChatBody,
  sendMessageBody,
  updateChatBody,
} from '../commands/chat/chat-schemas.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { RecordedEvent } from '../events/event-store.js';
import type { ChatQueries, ChatRow } from '../projections/chat-queries.js';
import type { ChatSnapshotQueries } from '../projections/chat-snapshot-queries.js';
import type { Timelines } from '../audit/timeline.js';
import { AUDIT_ALL, type EventVisibility } from '../audit/visibility.js';
import { readerOfRequest } from './reader.js';
import { TIMELINE_QUERY, TIMELINE_SCHEMA, timelineFilter } from './timeline-params.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import type { ChatFeed } from '../runtime/chat-feed/chat-feed.js';
import { holds, principalOf } from './auth.js';
import { itemPermission } from '../commands/identity/permissions.js';
import {
  chatResponse,
  chatSchema,
  chatWithMessagesSchema,
  forkedChatSchema,
  messageResponse,
  messageSchema,
  toolCallResponse,
  turnResponse,
} from './chat-responses.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type RouteRegistry } from './routes.js';
import { readYourWrites } from './read-your-writes.js';
import { RESUME_ID } from './input-limits.js';
import { openSse, resumePoint, type SseConnection, type SseFrame } from './sse.js';
import type { TurnStop } from '../commands/chat/turn-watch.js';
import type { TurnWaiter } from '../runtime/turns/turn-waiter.js';
import { completedReply, stopped } from './turn-outcome.js';
import { streamTurn } from './turn-stream.js';

export interface ChatRouteDeps {
  readonly chats: ChatService;
  readonly invoker: Invoker;
  readonly queries: ChatQueries;
  /** a chat whole: now (one snapshot) or as of a revision */
  readonly snapshots: ChatSnapshotQueries;
  /** chats' timelines (with their executions' events) */
  readonly timelines: Timelines;
  /** what a timeline's reader may see of each event */
  readonly visibility: EventVisibility;
  /** chats' frames for their SSE streams, and their turns' events */
  readonly feed: ChatFeed;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  /** waits for a posted turn's reply */
  readonly turns: TurnWaiter;
  /** a tool message's content as read back (a component block's render token renewed when due) */
  readonly renewContent?: (content: unknown) => Promise<unknown>;
}

const chatIdParam = { chat_id: { type: 'string', format: 'uuid' } };
const agentParams = {
  namespace: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$', maxLength: 255 },
  name: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9 _\\-():]*$', maxLength: 255 },
};
const tags = ['Chats'];
/** any signed-in user's own chats; a narrowed API key needs chat on some agent */
const CHATTING = { signedIn: ['sinas.agents.chat:own'] } as const;

/** `sinas.agents/<ns>/<name>.chat:all`: what chatting with an agent needs (reference §1.7) */
export const agentChat = (agent: { namespace: string; name: string }) =>
  itemPermission('agents', { namespaced: true, namespace: agent.namespace, name: agent.name }, 'chat', 'all');

/** the poster's permissions, for the parts of a message (a collection file needs download) */
export const partAccess = (req: Request): PartAccess => ({
  userId: principalOf(req).userId,
  may: (permission) => holds(req, permission),
});

export function mayChat(req: Request, agent: { namespace: string; name: string }): void {
  if (!holds(req, agentChat(agent)))
    throw new ForbiddenError(`Not authorized to chat with agent '${agent.namespace}/${agent.name}'`);
}

/** `q` reads one snapshot (one connection): a turn is never completed without its reply. */
async function chatBody(q: ChatQueries, chat: ChatRow): Promise<Record<string, unknown>> {
  const messages = await q.messages(chat.id);
  const turns = await q.turns(chat.id);
  const calls = await q.toolCalls(chat.id);
  return {
    ...chatResponse(chat),
    messages: messages.map(messageResponse),
    turns: turns.map(turnResponse),
    tool_calls: calls.map(toolCallResponse),
    pending_approvals: calls
      .filter((c) => c.approval_status === 'pending')
      .map((c) => ({
        tool_call_id: c.tool_call_id,
        function_namespace: c.function_namespace ?? c.target?.ref.namespace ?? null,
        function_name: c.function_name ?? c.target?.ref.name ?? null,
        arguments: c.arguments,
        ...(c.target ? { name: c.name, target: c.target } : {}),
        created_at: c.requested_at.toISOString(),
      })),
  };
}

export function registerChatRoutes(registry: RouteRegistry, d: ChatRouteDeps): void {
  /** the chat body with its tool messages' contents as read back now */
  const renewed = async (body: Record<string, unknown>) => {
    const renew = d.renewContent;
    if (!renew) return body;
    const messages = body.messages as Record<string, unknown>[];
    const out = await Promise.all(
      messages.map(async (m) => (m.role === 'tool' ? { ...m, content: await renew(m.content) } : m)),
    );
    return { ...body, messages: out };
  };
  const ctx = (req: Request) => ({ commandId: commandIdOf(req), actor: principalOf(req).userId });
  /** the caller's chat (someone else's is a 404), if they may chat with its agent (else 403) */
  const chatOf = async (req: Request) => {
    const row = await d.queries.get(req.params.chat_id as string, principalOf(req).userId);
    if (!row) throw new NotFoundError('chat not found');
    mayChat(req, { namespace: row.agent_namespace, name: row.agent_name });
    return row;
  };
  /** the same check from the chat's state (no read-model wait on the hot path) */
  const checkChat = async (req: Request, chatId: ChatId) => {
    const chat = await d.chats.get(chatId, asUserId(principalOf(req).userId));
    mayChat(req, chat.agent);
  };
  const afterWrite = (position: bigint | undefined, res: Response) =>
    readYourWrites(d, ['chats'], position, res);

  registry.add({
    method: 'post',
    path: '/agents/:namespace/:name/chats',
    access: { permission: (req) => agentChat(req.params as { namespace: string; name: string }) },
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
    access: { permission: (req) => agentChat(req.params as { namespace: string; name: string }) },
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
        partAccess(req),
      );
      const stop = stopped(await d.turns.stop({ chatId, ...posted }), chatId);
      await afterWrite(stop.kind === 'ended' ? stop.event.position : posted.position, res);
      const reply = stop.kind === 'ended' ? completedReply(stop.event) : stop.reply;
      res.json({
        reply: reply.content,
        chat_id: chatId,
        session_key: request.session_key ?? null,
        usage: reply.usage,
        status: stop.kind === 'ended' ? 'completed' : 'awaiting_approval',
        ...(stop.kind === 'awaiting_approval' ? { pending_approvals: pendingOf(stop) } : {}),
      });
    },
  });
  registry.add({
    method: 'get',
    path: '/chats',
    access: CHATTING,
    summary: "The caller's chats, most recently updated first",
    tags,
    query: {
      include_archived: { type: 'boolean', default: false },
      skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
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
    access: CHATTING,
    summary:
      'A chat with its messages, turns, tool calls and pending approvals; `as_of=<revision>`: as it was then',
    tags,
    params: chatIdParam,
    query: { as_of: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 200: chatWithMessagesSchema },
    handler: async (req, res) => {
      const chat = await chatOf(req);
      const asOf = queryOf(req).as_of as number | undefined;
      if (asOf === undefined) {
        res.json(await renewed(await d.snapshots.now((q) => chatBody(q, chat))));
        return;
      }
      // folded from the chat's events up to that revision, with the read model's own code
      const body = await d.snapshots.asOf(chat.id, asOf, async (q) =>
        chatBody(q, (await q.get(chat.id, chat.user_id))!),
      );
      res.json({ ...(await renewed(body)), as_of: asOf });
    },
  });
  registry.add({
    method: 'get',
    path: '/chats/:chat_id/timeline',
    access: { signedIn: ['sinas.agents.chat:own', 'sinas.audit.read:all'] },
    summary:
      "Every event that concerns the chat (its own, its executions', approvals, the agent and function versions it ran) in commit order; the owner or an auditor. Events about what the reader may not read are references without their data",
    tags,
    params: chatIdParam,
    query: TIMELINE_QUERY,
    responses: { 200: TIMELINE_SCHEMA },
    handler: async (req, res) => {
      const chatId = asChatId(req.params.chat_id as string);
      const auditor = holds(req, AUDIT_ALL);
      const chat = auditor ? await d.queries.getAny(chatId) : await chatOf(req);
      if (!chat) throw new NotFoundError('chat not found');
      res.json(
        await d.timelines.chat(chat.id, timelineFilter(req), d.visibility.viewer(readerOfRequest(req))),
      );
    },
  });
  registry.add({
    method: 'put',
    path: '/chats/:chat_id',
    access: CHATTING,
    summary: 'Rename, archive or restore a chat',
    tags,
    params: chatIdParam,
    body: updateChatBody,
    responses: { 200: chatSchema },
    handler: async (req, res) => {
      await checkChat(req, asChatId(req.params.chat_id as string));
      const r = await d.chats.update(asChatId(req.params.chat_id as string), req.body, ctx(req));
      await afterWrite(r.position, res);
      res.json(chatResponse(await chatOf(req)));
    },
  });
  registry.add({
    method: 'delete',
    path: '/chats/:chat_id',
    access: CHATTING,
    summary: 'Archive a chat (it stays in the audit history)',
    tags,
    params: chatIdParam,
    responses: { 204: undefined },
    handler: async (req, res) => {
      await checkChat(req, asChatId(req.params.chat_id as string));
      const r = await d.chats.update(asChatId(req.params.chat_id as string), { archived: true }, ctx(req));
      await afterWrite(r.position, res);
      res.status(204).send();
    },
  });
  registry.add({
    method: 'post',
    path: '/chats/:chat_id/messages',
    access: CHATTING,
    summary: "Send a message and wait for the agent's reply",
    tags,
    params: chatIdParam,
    body: sendMessageBody,
    responses: { 200: messageSchema },
    handler: async (req, res) => {
      const chatId = asChatId(req.params.chat_id as string);
      await checkChat(req, chatId);
      const posted = await d.chats.postMessage(chatId, req.body, ctx(req), partAccess(req));
      const stop = stopped(await d.turns.stop({ chatId, ...posted }), chatId);
      const at = stop.kind === 'ended' ? stop.event.position : undefined;
      await afterWrite(at ?? posted.position, res);
      sendTurnOutcome(res, chatId, stop);
    },
  });
  registry.add({
    method: 'post',
    path: '/chats/:chat_id/messages/stream',
    access: CHATTING,
    summary: 'Send a message and stream the reply (SSE; Last-Event-ID or ?after= resumes)',
    tags,
    params: chatIdParam,
    query: { after: { type: 'string', pattern: RESUME_ID, maxLength: 34 } },
    body: sendMessageBody,
    responses: { 200: { type: 'string', description: 'text/event-stream' } as never },
    handler: async (req, res) => {
      const chatId = asChatId(req.params.chat_id as string);
      await checkChat(req, chatId);
      const resume = resumePoint(req); // a malformed one is a 400 before anything is posted
      const posted = await d.chats.postMessage(chatId, req.body, ctx(req), partAccess(req));
      res.setHeader('X-Stream-Channel', posted.turnId);
      streamTurn(req, res, d, {
        chatId,
        turnId: posted.turnId,
        begun: posted.revision,
        from: resume ?? { revision: posted.revision, seq: 0 },
        catchUp: !!resume,
      });
    },
  });
  registry.add({
    method: 'post',
    path: '/chats/:chat_id/approve-tool/:tool_call_id',
    access: CHATTING,
    summary: 'Approve or reject a tool call that waits for approval (records who, when and why)',
    tags,
    params: { ...chatIdParam, tool_call_id: { type: 'string', minLength: 1, maxLength: 200 } },
    body: approvalBody,
    responses: {
      202: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['approved', 'rejected'] },
          tool_call_id: { type: 'string' },
          channel_id: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
    handler: async (req, res) => {
      const chatId = asChatId(req.params.chat_id as string);
      const toolCallId = req.params.tool_call_id as string;
      await checkChat(req, chatId);
      const r = await d.chats.decideApproval(chatId, toolCallId, req.body, ctx(req));
      await afterWrite(r.position, res);
      res.status(202).json({
        status: r.approved ? 'approved' : 'rejected',
        tool_call_id: toolCallId,
        channel_id: r.turnId,
        message: `The turn goes on. Connect to /chats/${chatId}/stream/${r.turnId} for results.`,
      });
    },
  });
  registry.add({
    method: 'get',
    path: '/chats/:chat_id/stream/:channel_id',
    access: CHATTING,
    summary: "Reconnect to a turn's stream (Last-Event-ID or ?after= resumes)",
    tags,
    params: { ...chatIdParam, channel_id: { type: 'string', format: 'uuid' } },
    query: {
      after: { type: 'string', pattern: RESUME_ID, maxLength: 34 },
      last_id: { type: 'string', maxLength: 40 },
    },
    responses: { 200: { type: 'string' } as never },
    handler: async (req, res) => {
      const chat = await chatOf(req);
      const turnId = req.params.channel_id as string;
      const posted = await d.feed.turnBegun(chat.id, turnId);
      if (posted === undefined) throw new NotFoundError('no such turn in this chat', 'channel_id');
      streamTurn(req, res, d, {
        chatId: chat.id,
        turnId,
        begun: posted,
        from: resumePoint(req) ?? { revision: posted, seq: 0 },
        catchUp: true,
      });
    },
  });
  registry.add({
    method: 'get',
    path: '/chats/:chat_id/events',
    access: CHATTING,
    summary: 'Every event of the chat from any offset, then live (SSE; Last-Event-ID or ?after=)',
    tags,
    params: chatIdParam,
    query: { after: { type: 'string', pattern: RESUME_ID, maxLength: 34 } },
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
      const sub = d.feed.frames(req.params.chat_id as string, resumePoint(req)).subscribe({
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
    access: CHATTING,
    summary: 'Cancel the running turn',
    tags,
    params: chatIdParam,
    responses: { 200: { type: 'object' } },
    handler: async (req, res) => {
      await checkChat(req, asChatId(req.params.chat_id as string));
      const r = await d.chats.cancel(asChatId(req.params.chat_id as string), ctx(req));
      const cancelled = r.events.find((e) => e.type === 'TurnCancelled');
      res.json({
        status: 'cancelled',
        turn_id: (cancelled?.data as { turnId?: string } | undefined)?.turnId ?? null,
      });
    },
  });
  registry.add({
    method: 'post',
    path: '/chats/:chat_id/fork',
    access: CHATTING,
    summary:
      "A new chat of the caller's holding this chat's history up to revision `at` (cut back to the last turn that ended by then); the original is untouched",
    tags,
    params: chatIdParam,
    body: forkChatBody,
    responses: { 201: forkedChatSchema },
    handler: async (req, res) => {
      await chatOf(req);
      const forked = await d.chats.fork(asChatId(req.params.chat_id as string), req.body, ctx(req));
      await afterWrite(forked.position, res);
      const row = await d.queries.get(forked.chatId, principalOf(req).userId);
      const { chatId, revision, requested } = forked.origin;
      // the read model lagging (Sinas-Consistency: pending): the fork's id is known all the same
      res.status(201).json({
        ...(row ? chatResponse(row) : { id: forked.chatId }),
        forked_from: { chat_id: chatId, revision, requested },
      });
    },
  });
}

function sendTurnOutcome(res: Response, chatId: string, stop: TurnStop<RecordedEvent>): void {
  const m = stop.kind === 'ended' ? completedReply(stop.event) : stop.reply;
  res.json({
    ...(stop.kind === 'awaiting_approval'
      ? { status: 'awaiting_approval', pending_approvals: pendingOf(stop) }
      : { status: 'completed' }),
    ...messageResponse({
      id: m.messageId,
      chat_id: chatId,
      role: 'assistant',
      content: m.content,
      tool_calls: m.toolCalls.length ? m.toolCalls : null,
      turn_id: m.turnId,
      model: m.model,
      usage: m.usage,
      agent_version: String(m.agentVersion),
      tool_call_id: null,
      name: null,
      created_at: new Date(m.at),
    }),
  });
}

function pendingOf(stop: Extract<TurnStop, { kind: 'awaiting_approval' }>) {
  return stop.pending.map((c) => ({
    tool_call_id: c.id,
    function_namespace: (c.function ?? c.target?.ref)?.namespace ?? null,
    function_name: (c.function ?? c.target?.ref)?.name ?? null,
    arguments: c.arguments,
    ...(c.target ? { name: c.name, target: c.target } : {}),
  }));
}
