/**
 * `GET /api/v1/messages` and `/messages/stats` (reference §5.13), the console's message search and
 * dashboard, in the original's shapes. Who sees whose: a reader who sees every event (an
 * administrator or auditor, src/audit/visibility.ts) sees every chat's messages, anyone else only
 * their own chats' — the same line chats and their timelines draw.
 */
import type { Request } from 'express';
import type { FoundMessage, MessageQueries } from '../projections/message-queries.js';
import { principalOf } from './auth.js';
import { readerOfRequest } from './reader.js';
import { queryOf, type RouteRegistry } from './routes.js';

const tags = ['Messages'];
/** as the original: whoever may read executions (their own at least); guests may not */
const READING = { permission: () => 'sinas.executions.read:own' } as const;
const ROLES = ['user', 'assistant', 'tool', 'system'];

const messageSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    chat_id: { type: 'string' },
    role: { type: 'string' },
    content: { type: ['string', 'null'] },
    tool_calls: {},
    tool_call_id: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    chat: {
      type: 'object',
      properties: { agent_namespace: { type: 'string' }, agent_name: { type: 'string' } },
    },
    user: { type: ['object', 'null'], properties: { email: { type: 'string' } } },
  },
};

/** whose messages the caller reads: undefined for everyone's */
function scopeOf(req: Request): string | undefined {
  return readerOfRequest(req).everything ? undefined : principalOf(req).userId;
}

const present = (m: FoundMessage) => ({
  id: m.id,
  chat_id: m.chat_id,
  role: m.role,
  content: m.content,
  tool_calls: m.tool_calls ?? null,
  tool_call_id: m.tool_call_id,
  created_at: m.created_at.toISOString(),
  chat: { agent_namespace: m.agent_namespace, agent_name: m.agent_name },
  user: m.user_email ? { email: m.user_email } : null,
});

export function registerMessageSearchRoutes(registry: RouteRegistry, d: { queries: MessageQueries }): void {
  registry.add({
    method: 'get',
    path: '/api/v1/messages',
    access: READING,
    summary: "Messages across chats, newest first: the caller's own chats' (an administrator's: everyone's)",
    tags,
    query: {
      agent: { type: 'string', minLength: 1, maxLength: 511 },
      role: { type: 'string', enum: ROLES },
      search: { type: 'string', minLength: 1, maxLength: 1000 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
    },
    responses: {
      200: {
        type: 'object',
        properties: {
          messages: { type: 'array', items: messageSchema },
          total: { type: 'integer' },
          limit: { type: 'integer' },
          offset: { type: 'integer' },
        },
      },
    },
    handler: async (req, res) => {
      const q = queryOf(req) as {
        agent?: string;
        role?: string;
        search?: string;
        limit: number;
        offset: number;
      };
      const userId = scopeOf(req);
      const found = await d.queries.search({ ...q, ...(userId !== undefined ? { userId } : {}) });
      res.json({
        messages: found.messages.map(present),
        total: found.total,
        limit: q.limit,
        offset: q.offset,
      });
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/messages/stats',
    access: READING,
    summary:
      'Message counts of the last `days` days: by day, by agent (top 10), by role, and how many asked for tools',
    tags,
    query: { days: { type: 'integer', minimum: 1, maximum: 90, default: 7 } },
    responses: {
      200: {
        type: 'object',
        properties: {
          total_messages: { type: 'integer' },
          tool_calls: { type: 'integer' },
          activity_by_day: { type: 'object', additionalProperties: { type: 'integer' } },
          agent_usage: {
            type: 'array',
            items: { type: 'object', properties: { agent: { type: 'string' }, count: { type: 'integer' } } },
          },
          role_distribution: { type: 'object', additionalProperties: { type: 'integer' } },
          days: { type: 'integer' },
        },
      },
    },
    handler: async (req, res) => {
      const { days } = queryOf(req) as { days: number };
      const userId = scopeOf(req);
      const stats = await d.queries.stats({
        days,
        now: new Date(),
        ...(userId !== undefined ? { userId } : {}),
      });
      res.json({ ...stats, days });
    },
  });
}
