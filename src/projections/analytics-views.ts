/**
 * The analyst schema's contract: the views of schema `analytics`, over the read models (README
 * "Analyst schema"). Column names and meanings are stable: add columns at the end, never rename or
 * retype one. Nothing here reads secrets, API keys, login tables, execution inputs/outputs or logs.
 * Days are UTC dates; durations and latencies are whole milliseconds.
 *
 * Forks (issue 18): a fork holds a copy of its original's history, and the row views show those
 * rows for the fork too (they are its history), marked `copied`. Whatever sums or counts what
 * happened (the counts and tokens of `chats`, `token_usage_daily`, `approvals` and
 * `approval_latency_daily`) leaves copies out: a reply's tokens are spent once, in the chat that
 * ran it. An analyst summing the row views by hand filters `NOT copied` the same way.
 */
import type { TableNames } from './projection.js';

export const ANALYTICS_SCHEMA = 'analytics';

/** The read-model tables the views read, by logical name (a rebuild binds them to fresh ones). */
export const ANALYTICS_SOURCES = [
  'chats',
  'chat_messages',
  'chat_turns',
  'chat_tool_calls',
  'executions',
  'users',
] as const;

export interface AnalyticsView {
  readonly name: string;
  readonly comment: string;
  readonly sql: (t: TableNames) => string;
}

const tokens = (usage: string) => `
  (${usage}->>'prompt_tokens')::bigint AS prompt_tokens,
  (${usage}->>'completion_tokens')::bigint AS completion_tokens,
  (${usage}->>'total_tokens')::bigint AS total_tokens`;

const ms = (from: string, to: string) => `(extract(epoch FROM ${to} - ${from}) * 1000)::bigint`;

const day = (at: string) => `(${at} AT TIME ZONE 'UTC')::date`;

/** In dependency order: later views may read earlier ones. */
export const ANALYTICS_VIEWS: readonly AnalyticsView[] = [
  {
    name: 'chats',
    comment:
      "One row per chat, with the message, turn and token counts of what happened in it (a fork's copied history counts in its original: copied_message_count).",
    sql: (t) => `
      SELECT c.id AS chat_id, c.user_id, c.agent_id, c.agent_namespace, c.agent_name, c.agent_version,
             c.title, c.archived, c.created_at, c.updated_at, c.last_message_at, c.expires_at,
             m.message_count, m.user_message_count, m.assistant_message_count, m.tool_message_count,
             u.turn_count, m.prompt_tokens, m.completion_tokens, m.total_tokens,
             (c.forked_from->>'chat_id')::uuid AS forked_from_chat_id, m.copied_message_count
        FROM ${t.chats} c
        CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE NOT copied) AS message_count,
                 count(*) FILTER (WHERE role = 'user' AND NOT copied) AS user_message_count,
                 count(*) FILTER (WHERE role = 'assistant' AND NOT copied) AS assistant_message_count,
                 count(*) FILTER (WHERE role = 'tool' AND NOT copied) AS tool_message_count,
                 coalesce(sum((usage->>'prompt_tokens')::bigint) FILTER (WHERE NOT copied), 0)::bigint AS prompt_tokens,
                 coalesce(sum((usage->>'completion_tokens')::bigint) FILTER (WHERE NOT copied), 0)::bigint
                   AS completion_tokens,
                 coalesce(sum((usage->>'total_tokens')::bigint) FILTER (WHERE NOT copied), 0)::bigint AS total_tokens,
                 count(*) FILTER (WHERE copied) AS copied_message_count
            FROM ${t.chat_messages} WHERE chat_id = c.id) m
        CROSS JOIN LATERAL (
          SELECT count(*) AS turn_count FROM ${t.chat_turns} WHERE chat_id = c.id AND NOT copied) u`,
  },
  {
    name: 'messages',
    comment:
      "One row per message (user, assistant, tool result), with the model and tokens of replies; copied: a fork's copy of its original's message (leave it out of sums).",
    sql: (t) => `
      SELECT m.id AS message_id, m.chat_id, c.user_id, c.agent_id, c.agent_namespace, c.agent_name,
             m.agent_version, m.turn_id, m.role, m.content, m.model, ${tokens('m.usage')},
             CASE WHEN jsonb_typeof(m.tool_calls) = 'array' THEN jsonb_array_length(m.tool_calls) ELSE 0 END
               AS tool_call_count,
             m.tool_call_id, m.name AS tool_name, m.created_at, m.revision AS chat_revision, m.copied
        FROM ${t.chat_messages} m JOIN ${t.chats} c ON c.id = m.chat_id`,
  },
  {
    name: 'turns',
    comment:
      "One row per turn (a user message and everything the agent did to answer it); copied: a fork's copy of its original's turn (leave it out of sums).",
    sql: (t) => `
      SELECT u.turn_id, u.chat_id, c.user_id, c.agent_id, c.agent_namespace, c.agent_name, u.status,
             u.attempt, u.model, ${tokens('u.usage')}, u.error, u.requested_at, u.started_at, u.ended_at,
             ${ms('u.started_at', 'u.ended_at')} AS duration_ms, u.copied
        FROM ${t.chat_turns} u JOIN ${t.chats} c ON c.id = u.chat_id`,
  },
  {
    name: 'tool_calls',
    comment:
      "One row per tool call a model asked for; its result is the tool message in analytics.messages; copied: a fork's copy (leave it out of sums).",
    sql: (t) => `
      SELECT k.chat_id, k.tool_call_id, k.turn_id, k.message_id, c.user_id, c.agent_id, c.agent_namespace,
             c.agent_name, k.name AS tool_name, k.function_namespace, k.function_name, k.arguments,
             k.requires_approval, k.approval_status, k.status, k.execution_id, k.requested_at, k.started_at,
             k.completed_at, ${ms('k.started_at', 'k.completed_at')} AS duration_ms, k.copied
        FROM ${t.chat_tool_calls} k JOIN ${t.chats} c ON c.id = k.chat_id`,
  },
  {
    name: 'approvals',
    comment:
      "One row per tool call that asked for approval: who decided, why, and how long it waited (a fork's copies left out: each was decided once).",
    sql: (t) => `
      SELECT k.chat_id, k.tool_call_id, k.turn_id, c.user_id, c.agent_id, c.agent_namespace, c.agent_name,
             k.function_namespace, k.function_name, k.approval_status AS status,
             CASE k.approval_status WHEN 'approved' THEN true WHEN 'rejected' THEN false END AS approved,
             k.decided_by AS approver_id, a.email AS approver_email, k.approval_reason AS reason,
             k.requested_at, k.decided_at, k.decided_at - k.requested_at AS latency,
             ${ms('k.requested_at', 'k.decided_at')} AS latency_ms
        FROM ${t.chat_tool_calls} k
        JOIN ${t.chats} c ON c.id = k.chat_id
        LEFT JOIN ${t.users} a ON a.id = k.decided_by
       WHERE k.approval_status <> 'none' AND NOT k.copied`,
  },
  {
    name: 'approval_latency_daily',
    comment: 'Approvals per function and UTC day of request: counts and decision latency.',
    sql: () => `
      SELECT ${day('requested_at')} AS day, function_namespace, function_name,
             count(*) AS requested, count(decided_at) AS decided,
             count(*) FILTER (WHERE status = 'approved') AS approved,
             count(*) FILTER (WHERE status = 'rejected') AS rejected,
             count(*) FILTER (WHERE status = 'pending') AS pending,
             avg(latency_ms)::bigint AS avg_latency_ms,
             (percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms))::bigint AS p50_latency_ms,
             (percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms))::bigint AS p95_latency_ms,
             max(latency_ms) AS max_latency_ms
        FROM ${ANALYTICS_SCHEMA}.approvals
       GROUP BY 1, 2, 3`,
  },
  {
    name: 'executions',
    comment: 'One row per function execution: trigger, status and timings (no input, output or logs).',
    sql: (t) => `
      SELECT e.id AS execution_id, e.function_id, e.function_namespace, e.function_name, e.function_version,
             e.user_id, e.trigger_type, e.trigger_id, e.chat_id, e.tool_call_id, e.status, e.runs,
             e.shared_pool, e.timeout_ms, e.created_at, e.started_at, e.completed_at, e.duration_ms,
             ${ms('e.started_at', 'e.completed_at')} AS wall_ms,
             ${ms('e.created_at', 'e.started_at')} AS queued_ms
        FROM ${t.executions} e`,
  },
  {
    name: 'token_usage_daily',
    comment:
      "Tokens of assistant replies per UTC day, agent, model and user; cost from analytics.model_prices, NULL when the model has no price. A fork's copied replies are left out (counted once, in the original).",
    sql: () => `
      SELECT u.day, u.agent_id, u.agent_namespace, u.agent_name, u.model, u.user_id, u.replies,
             u.prompt_tokens, u.completion_tokens, u.total_tokens,
             u.prompt_tokens / 1000.0 * p.prompt_per_1k + u.completion_tokens / 1000.0 * p.completion_per_1k
               AS cost
        FROM (SELECT ${day('created_at')} AS day, agent_id, agent_namespace, agent_name, model, user_id,
                     count(*) AS replies,
                     coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
                     coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens,
                     coalesce(sum(total_tokens), 0)::bigint AS total_tokens
                FROM ${ANALYTICS_SCHEMA}.messages
               WHERE role = 'assistant' AND total_tokens IS NOT NULL AND NOT copied
               GROUP BY 1, 2, 3, 4, 5, 6) u
        LEFT JOIN ${ANALYTICS_SCHEMA}.model_prices p ON p.model = u.model`,
  },
];

/** The optional price list the cost columns read; empty until an operator fills it. */
export const MODEL_PRICES_DDL = `
  CREATE TABLE IF NOT EXISTS ${ANALYTICS_SCHEMA}.model_prices (
    model text PRIMARY KEY,
    prompt_per_1k numeric NOT NULL CHECK (prompt_per_1k >= 0),
    completion_per_1k numeric NOT NULL CHECK (completion_per_1k >= 0)
  );
  COMMENT ON TABLE ${ANALYTICS_SCHEMA}.model_prices IS
    'Price per 1000 prompt and completion tokens by model name (as the provider reports it); fill it to get costs.';`;
