/**
 * Chat read models: `chats` (one row per chat), `chat_messages` (the conversation in order) and
 * `chat_turns` (each turn's status, attempts, model, usage and error). One statement per event, none
 * reading anything back, so a live runner sends a batch in one round trip.
 *
 * A fork's history (the events it copied, `isForkCopy`) makes rows like any other, since the fork's
 * messages, turns and calls are what its readers see; they are marked `copied`, so whatever sums
 * usage, messages or turns (analytics views, message stats) counts them once, in the original.
 */
import type { ChatEvent } from '../events/chat-events.js';
import { isForkCopy } from '../events/fork-copies.js';
import { stableUuid } from '../events/ids.js';
import type { RecordedEvent } from '../events/event-store.js';
import { versionOfRevision } from '../events/versions.js';
import type { Statement } from './batch-sql.js';
import { partViews } from './message-part-views.js';
import type { Projection, TableNames } from './projection.js';

export const chatsProjection: Projection = {
  name: 'chats',
  // 3: versions (the chat's, the agent's a chat and a reply ran under) count from 1; 4: a tool
  // call's family target and audit detail; 5: a fork's origin and its copied rows
  version: 5,
  filter: { categories: ['chat', 'audit'] },
  tables: ['chats', 'chat_messages', 'chat_turns', 'chat_tool_calls'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.chats} (
      id uuid PRIMARY KEY,
      user_id text NOT NULL,
      agent_id uuid NOT NULL,
      agent_namespace text NOT NULL,
      agent_name text NOT NULL,
      agent_version bigint NOT NULL,
      title text NOT NULL,
      archived boolean NOT NULL DEFAULT false,
      session_key text,
      expires_at timestamptz,
      input jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      last_message_at timestamptz,
      version bigint NOT NULL,
      position bigint NOT NULL,
      forked_from jsonb
    );
    CREATE INDEX IF NOT EXISTS ${t.chats}_user_idx ON ${t.chats} (user_id, updated_at DESC);
    CREATE TABLE IF NOT EXISTS ${t.chat_messages} (
      id uuid PRIMARY KEY,
      chat_id uuid NOT NULL,
      revision bigint NOT NULL,
      idx int NOT NULL,
      role text NOT NULL,
      content text,
      tool_calls jsonb,
      turn_id uuid,
      model text,
      usage jsonb,
      agent_version bigint,
      tool_call_id text,
      name text,
      created_at timestamptz NOT NULL,
      copied boolean NOT NULL DEFAULT false
    );
    CREATE INDEX IF NOT EXISTS ${t.chat_messages}_chat_idx ON ${t.chat_messages} (chat_id, revision, idx);
    CREATE TABLE IF NOT EXISTS ${t.chat_turns} (
      turn_id uuid PRIMARY KEY,
      chat_id uuid NOT NULL,
      status text NOT NULL,
      attempt int NOT NULL DEFAULT 0,
      user_message_id uuid NOT NULL,
      assistant_message_id uuid,
      model text,
      usage jsonb,
      error text,
      requested_at timestamptz NOT NULL,
      started_at timestamptz,
      ended_at timestamptz,
      copied boolean NOT NULL DEFAULT false
    );
    CREATE INDEX IF NOT EXISTS ${t.chat_turns}_chat_idx ON ${t.chat_turns} (chat_id, requested_at);
    CREATE TABLE IF NOT EXISTS ${t.chat_tool_calls} (
      tool_call_id text NOT NULL,
      chat_id uuid NOT NULL,
      turn_id uuid NOT NULL,
      message_id uuid NOT NULL,
      name text NOT NULL,
      function_namespace text,
      function_name text,
      arguments jsonb,
      description text NOT NULL,
      requires_approval boolean NOT NULL,
      approval_status text NOT NULL,
      approval_reason text,
      decided_by text,
      decided_at timestamptz,
      execution_id uuid,
      target jsonb,
      detail jsonb,
      status text NOT NULL,
      result text,
      requested_at timestamptz NOT NULL,
      started_at timestamptz,
      completed_at timestamptz,
      copied boolean NOT NULL DEFAULT false,
      PRIMARY KEY (chat_id, tool_call_id)
    );
    -- tables made by version 4 (the rebuild that version 5 starts fills them in)
    ALTER TABLE ${t.chats} ADD COLUMN IF NOT EXISTS forked_from jsonb;
    ALTER TABLE ${t.chat_messages} ADD COLUMN IF NOT EXISTS copied boolean NOT NULL DEFAULT false;
    ALTER TABLE ${t.chat_turns} ADD COLUMN IF NOT EXISTS copied boolean NOT NULL DEFAULT false;
    ALTER TABLE ${t.chat_tool_calls} ADD COLUMN IF NOT EXISTS copied boolean NOT NULL DEFAULT false;
    CREATE INDEX IF NOT EXISTS ${t.chat_tool_calls}_pending_idx ON ${t.chat_tool_calls} (chat_id) WHERE approval_status = 'pending';
    CREATE INDEX IF NOT EXISTS ${t.chat_turns}_open_idx ON ${t.chat_turns} (status) WHERE status IN ('requested', 'running', 'tools');`,
  async apply(tx, events, t) {
    for (const s of chatStatements(events, t)) await tx.query(s.text, s.values as unknown[]);
  },
  statements: (events, t) => chatStatements(events, t),
};

function chatStatements(events: readonly RecordedEvent[], t: TableNames): Statement[] {
  return events.flatMap((e) => statementsOf(e, t));
}

/** What one event writes, as statements that read nothing back. */
function statementsOf(e: RecordedEvent, t: TableNames): Statement[] {
  if (e.type === 'ChatPurged') return purgeRows(t, (e.data as { chatId: string }).chatId);
  if (!e.streamName.startsWith('chat-')) return [];
  const ev = { type: e.type, data: e.data } as ChatEvent;
  const chatId = e.streamName.slice('chat-'.length);
  const touch = (sql: string, params: unknown[]): Statement => ({
    text: `UPDATE ${t.chats} SET ${sql}, updated_at = $2, version = $3, position = $4 WHERE id = $1`,
    values: [chatId, ev.data.at, versionOfRevision(e.revision), String(e.position), ...params],
  });
  const out: Statement[] = [];
  const q = (text: string, values: unknown[]) => void out.push({ text, values });
  switch (ev.type) {
    case 'ChatCreated': {
      const d = ev.data;
      q(
        `INSERT INTO ${t.chats} (id, user_id, agent_id, agent_namespace, agent_name, agent_version, title, session_key, expires_at, input, created_at, updated_at, version, position, forked_from)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11,$12,$13,$14) ON CONFLICT (id) DO NOTHING`,
        [
          d.chatId,
          d.userId,
          d.agent.id,
          d.agent.namespace,
          d.agent.name,
          d.agentVersion,
          d.title,
          d.sessionKey,
          d.expiresAt,
          JSON.stringify(d.input),
          d.at,
          versionOfRevision(e.revision),
          String(e.position),
          d.forkedFrom
            ? JSON.stringify({
                chat_id: d.forkedFrom.chatId,
                revision: d.forkedFrom.revision,
                requested: d.forkedFrom.requested,
              })
            : null,
        ],
      );
      // a fork's initial messages are the original's
      for (const [i, m] of d.initialMessages.entries())
        out.push(
          insertMessage(t, {
            id: m.messageId,
            chatId,
            revision: e.revision,
            idx: i,
            role: m.role,
            content: m.content,
            at: d.at,
            copied: d.forkedFrom !== undefined,
          }),
        );
      return out;
    }
    case 'UserMessagePosted': {
      // the message, its turn and the chat's times in one statement: it is on every turn's path
      const d = ev.data;
      q(
        `WITH message AS (
           INSERT INTO ${t.chat_messages} (id, chat_id, revision, idx, role, content, turn_id, created_at, copied)
           VALUES ($1, $2, $3, 0, 'user', $4, $5, $6, $9) ON CONFLICT (id) DO NOTHING
         ), turn AS (
           INSERT INTO ${t.chat_turns} (turn_id, chat_id, status, user_message_id, requested_at, copied)
           VALUES ($5, $2, 'requested', $1, $6, $9) ON CONFLICT DO NOTHING
         )
         UPDATE ${t.chats} SET last_message_at = $6, updated_at = $6, version = $8, position = $7 WHERE id = $2`,
        [
          d.messageId,
          chatId,
          String(e.revision),
          // a message with parts reads as the JSON array of them (reference §3.1), by reference
          d.parts ? JSON.stringify(partViews(d.parts, chatId, d.messageId)) : d.content,
          d.turnId,
          d.at,
          String(e.position),
          versionOfRevision(e.revision),
          isForkCopy(e),
        ],
      );
      return out;
    }
    case 'TurnStarted': {
      const d = ev.data;
      q(
        `UPDATE ${t.chat_turns} SET status = 'running', attempt = $2, model = $3, started_at = $4 WHERE turn_id = $1`,
        [d.turnId, d.attempt, d.model, d.at],
      );
      return out;
    }
    case 'AssistantMessageCompleted': {
      // the message, the tool calls it asks for, its turn and the chat's times in one statement:
      // it is on every turn's path
      const d = ev.data;
      const ends = d.endsTurn !== false;
      const calls = (d.calls ?? []).map((c) => ({
        id: c.id,
        name: c.name,
        namespace: c.function?.namespace ?? null,
        fn: c.function?.name ?? null,
        arguments: c.arguments ?? null,
        target: c.target ?? null,
        description: c.description,
        approval: c.requiresApproval,
      }));
      q(
        `WITH message AS (
           INSERT INTO ${t.chat_messages} (id, chat_id, revision, idx, role, content, tool_calls, turn_id, model, usage, agent_version, created_at, copied)
           VALUES ($2, $1, $3, 0, 'assistant', $5, $6::jsonb, $7, $8, $9::jsonb, $10, $11, $16) ON CONFLICT (id) DO NOTHING
         ), calls AS (
           INSERT INTO ${t.chat_tool_calls} (tool_call_id, chat_id, turn_id, message_id, name, function_namespace, function_name,
             arguments, target, description, requires_approval, approval_status, status, requested_at, copied)
           SELECT c.id, $1, $7, $2, c.name, c.namespace, c.fn, c.arguments, c.target, c.description, c.approval, 'none', 'requested', $11, $16
             FROM jsonb_to_recordset($12::jsonb) AS c(id text, name text, namespace text, fn text, arguments jsonb,
               target jsonb, description text, approval boolean)
           ON CONFLICT DO NOTHING
         ), turn AS (
           UPDATE ${t.chat_turns} SET status = $13, assistant_message_id = $2, model = $8, ended_at = $14,
             usage = CASE WHEN usage IS NULL THEN $9::jsonb ELSE jsonb_build_object(
               'prompt_tokens', (usage->>'prompt_tokens')::int + ($9::jsonb->>'prompt_tokens')::int,
               'completion_tokens', (usage->>'completion_tokens')::int + ($9::jsonb->>'completion_tokens')::int,
               'total_tokens', (usage->>'total_tokens')::int + ($9::jsonb->>'total_tokens')::int) END
           WHERE turn_id = $7
         )
         UPDATE ${t.chats} SET last_message_at = $11, updated_at = $11, version = $15, position = $4 WHERE id = $1`,
        [
          chatId,
          d.messageId,
          String(e.revision),
          String(e.position),
          d.content,
          d.toolCalls.length > 0 ? JSON.stringify(d.toolCalls) : null,
          d.turnId,
          d.model,
          JSON.stringify(d.usage),
          d.agentVersion,
          d.at,
          JSON.stringify(calls),
          ends ? 'completed' : 'tools',
          ends ? d.at : null,
          versionOfRevision(e.revision),
          isForkCopy(e),
        ],
      );
      return out;
    }
    case 'UserMessageRewritten':
    case 'AssistantMessageRevised':
      q(`UPDATE ${t.chat_messages} SET content = $2 WHERE id = $1`, [ev.data.messageId, ev.data.content]);
      return out;
    case 'ToolApprovalRequested':
      q(
        `UPDATE ${t.chat_tool_calls} SET approval_status = 'pending' WHERE chat_id = $1 AND tool_call_id = $2`,
        [chatId, ev.data.toolCallId],
      );
      return out;
    case 'ToolApprovalDecided': {
      const d = ev.data;
      q(
        `UPDATE ${t.chat_tool_calls} SET approval_status = $3, approval_reason = $4, decided_by = $5, decided_at = $6
          WHERE chat_id = $1 AND tool_call_id = $2`,
        [chatId, d.toolCallId, d.approved ? 'approved' : 'rejected', d.reason, d.by, d.at],
      );
      return out;
    }
    case 'ToolCallStarted':
      q(
        `UPDATE ${t.chat_tool_calls} SET status = 'running', execution_id = $3, started_at = $4 WHERE chat_id = $1 AND tool_call_id = $2`,
        [chatId, ev.data.toolCallId, ev.data.executionId, ev.data.at],
      );
      return out;
    case 'ToolCallCompleted': {
      const d = ev.data;
      q(
        `UPDATE ${t.chat_tool_calls} SET status = $3, result = $4, execution_id = coalesce($5, execution_id), completed_at = $6,
           detail = $7::jsonb
          WHERE chat_id = $1 AND tool_call_id = $2`,
        [
          chatId,
          d.toolCallId,
          d.status,
          d.result,
          d.executionId,
          d.at,
          d.detail ? JSON.stringify(d.detail) : null,
        ],
      );
      out.push(
        insertMessage(t, {
          id: toolMessageId(chatId, d.toolCallId),
          chatId,
          revision: e.revision,
          idx: 0,
          role: 'tool',
          content: d.result,
          turnId: d.turnId,
          toolCallId: d.toolCallId,
          name: d.name,
          at: d.at,
          copied: isForkCopy(e),
        }),
      );
      return out;
    }
    case 'TurnFailed':
      q(`UPDATE ${t.chat_turns} SET status = 'failed', error = $2, ended_at = $3 WHERE turn_id = $1`, [
        ev.data.turnId,
        ev.data.error,
        ev.data.at,
      ]);
      out.push(touch('title = title', []));
      return out;
    case 'TurnCancelled':
      q(`UPDATE ${t.chat_turns} SET status = 'cancelled', ended_at = $2 WHERE turn_id = $1`, [
        ev.data.turnId,
        ev.data.at,
      ]);
      out.push(touch('title = title', []));
      return out;
    case 'SubTurnEnded':
      return out; // the turn's end is the event before it
    case 'ChatTitleChanged':
      out.push(touch('title = $5', [ev.data.title]));
      return out;
    case 'ChatArchived':
    case 'ChatUnarchived':
      out.push(touch('archived = $5', [ev.type === 'ChatArchived']));
      return out;
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}

function purgeRows(t: TableNames, chatId: string): Statement[] {
  return [
    { text: `DELETE FROM ${t.chat_messages} WHERE chat_id = $1`, values: [chatId] },
    { text: `DELETE FROM ${t.chat_turns} WHERE chat_id = $1`, values: [chatId] },
    { text: `DELETE FROM ${t.chat_tool_calls} WHERE chat_id = $1`, values: [chatId] },
    { text: `DELETE FROM ${t.chats} WHERE id = $1`, values: [chatId] },
  ];
}

interface MessageRow {
  readonly id: string;
  readonly chatId: string;
  readonly revision: bigint;
  readonly idx: number;
  readonly role: string;
  readonly content: string;
  readonly turnId?: string;
  readonly toolCalls?: unknown;
  readonly model?: string;
  readonly usage?: unknown;
  readonly agentVersion?: number;
  readonly toolCallId?: string;
  readonly name?: string;
  readonly at: string;
  /** a fork's copy of the original's message */
  readonly copied?: boolean;
}

/** A tool result message's id: stable per call, so a replayed event inserts nothing twice. */
const toolMessageId = (chatId: string, toolCallId: string) =>
  stableUuid(`tool-message/${chatId}/${toolCallId}`);

function insertMessage(t: TableNames, m: MessageRow): Statement {
  return {
    text: `INSERT INTO ${t.chat_messages} (id, chat_id, revision, idx, role, content, tool_calls, turn_id, model, usage, agent_version, tool_call_id, name, created_at, copied)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT (id) DO NOTHING`,
    values: [
      m.id,
      m.chatId,
      String(m.revision),
      m.idx,
      m.role,
      m.content,
      m.toolCalls ? JSON.stringify(m.toolCalls) : null,
      m.turnId ?? null,
      m.model ?? null,
      m.usage ? JSON.stringify(m.usage) : null,
      m.agentVersion ?? null,
      m.toolCallId ?? null,
      m.name ?? null,
      m.at,
      m.copied ?? false,
    ],
  };
}
