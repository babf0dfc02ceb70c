/** Response shapes of the chat endpoints (reference §3.1-§3.3) and their JSON schemas. */
import type { ChatRow, MessageRow, ToolCallRow, TurnRow } from '../projections/chat-queries.js';
import type { JSONSchema } from '../commands/validation.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function chatResponse(c: ChatRow): Record<string, unknown> {
  return {
    id: c.id,
    user_id: c.user_id,
    user_email: c.user_email ?? null,
    agent_id: c.agent_id,
    agent_namespace: c.agent_namespace,
    agent_name: c.agent_name,
    agent_version: Number(c.agent_version),
    title: c.title,
    archived: c.archived,
    session_key: c.session_key,
    expires_at: iso(c.expires_at),
    keep_alive: null,
    active_channel_id: null,
    input: c.input,
    version: Number(c.version),
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
    last_message_at: iso(c.last_message_at),
    forked_from: c.forked_from ?? null,
  };
}

export function messageResponse(m: MessageRow): Record<string, unknown> {
  return {
    id: m.id,
    chat_id: m.chat_id,
    role: m.role,
    content: m.content,
    tool_calls: m.tool_calls ?? null,
    tool_call_id: m.tool_call_id,
    name: m.name,
    turn_id: m.turn_id,
    model: m.model,
    usage: m.usage ?? null,
    agent_version: m.agent_version === null ? null : Number(m.agent_version),
    created_at: iso(m.created_at),
  };
}

/** One tool call with its approval (who decided, when, why), execution and result. */
export function toolCallResponse(c: ToolCallRow): Record<string, unknown> {
  return {
    tool_call_id: c.tool_call_id,
    turn_id: c.turn_id,
    message_id: c.message_id,
    name: c.name,
    function_namespace: c.function_namespace,
    function_name: c.function_name,
    arguments: c.arguments,
    description: c.description,
    requires_approval: c.requires_approval,
    approval: c.requires_approval
      ? {
          status: c.approval_status,
          reason: c.approval_reason,
          decided_by: c.decided_by,
          decided_at: iso(c.decided_at),
        }
      : null,
    execution_id: c.execution_id,
    target: c.target ?? null,
    detail: c.detail ?? null,
    status: c.status,
    result: c.result,
    requested_at: iso(c.requested_at),
    started_at: iso(c.started_at),
    completed_at: iso(c.completed_at),
  };
}

export function turnResponse(t: TurnRow): Record<string, unknown> {
  return {
    turn_id: t.turn_id,
    status: t.status,
    attempt: t.attempt,
    user_message_id: t.user_message_id,
    assistant_message_id: t.assistant_message_id,
    model: t.model,
    usage: t.usage ?? null,
    error: t.error,
    requested_at: iso(t.requested_at),
    started_at: iso(t.started_at),
    ended_at: iso(t.ended_at),
  };
}

const nullable = (type: string): JSONSchema => ({ type: [type, 'null'] });

export const chatSchema: JSONSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    user_id: { type: 'string' },
    agent_id: { type: 'string' },
    agent_namespace: { type: 'string' },
    agent_name: { type: 'string' },
    agent_version: { type: 'integer' },
    title: { type: 'string' },
    archived: { type: 'boolean' },
    session_key: nullable('string'),
    expires_at: nullable('string'),
    version: { type: 'integer' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    last_message_at: nullable('string'),
    forked_from: {
      type: ['object', 'null'],
      description:
        'where a fork branched off: the original chat and the revision it was cut at; null for others',
      properties: {
        chat_id: { type: 'string', format: 'uuid' },
        revision: { type: 'integer' },
        requested: { type: 'integer' },
      },
    },
  },
};

export const messageSchema: JSONSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    chat_id: { type: 'string' },
    role: { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] },
    content: nullable('string'),
    tool_calls: { type: ['array', 'null'] },
    turn_id: nullable('string'),
    model: nullable('string'),
    created_at: { type: 'string' },
  },
};

export const chatWithMessagesSchema: JSONSchema = {
  allOf: [
    chatSchema,
    {
      type: 'object',
      properties: {
        messages: { type: 'array', items: messageSchema },
        pending_approvals: { type: 'array', items: { type: 'object' } },
        tool_calls: { type: 'array', items: { type: 'object' } },
        turns: { type: 'array', items: { type: 'object' } },
      },
    },
  ],
};

/** `POST /chats/{id}/fork`: the new chat, and where it branched off */
export const forkedChatSchema: JSONSchema = {
  allOf: [
    chatSchema,
    {
      type: 'object',
      properties: {
        forked_from: {
          type: 'object',
          properties: {
            chat_id: { type: 'string', format: 'uuid' },
            revision: { type: 'integer' },
            requested: { type: 'integer' },
          },
        },
      },
    },
  ],
};
