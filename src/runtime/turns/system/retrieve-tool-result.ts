/**
 * `retrieve_tool_result {tool_call_id}` (reference §4.1, always offered): the full record of an earlier
 * tool call of the same chat, read from the chat's own events — so it lasts as long as the chat (the
 * original kept results 30 days) and another chat's call id finds nothing. The full text is the
 * completion's `fullResult` when the model's copy was cut, else its `result`.
 */
import type { AssistantMessageData, ChatEvent, ToolResultStatus } from '../../../events/chat-events.js';
import type { RecordedEvent } from '../../../events/event-store.js';
import { streams } from '../../../events/stream-names.js';
import { upcast } from '../../../events/upcasters.js';
import type { OfferedTool, ToolChat, ToolFamily, ToolOutcome, ToolRun } from '../tool-family.js';

export const RETRIEVE_TOOL_RESULT = 'retrieve_tool_result';
export const NOT_FOUND = { error: 'Tool result not found or expired' } as const;

/** Reads a chat's events (the StreamCache in the platform). */
export interface ChatEvents {
  read(stream: string): Promise<readonly RecordedEvent[]>;
}

const OFFER: OfferedTool = {
  tool: {
    type: 'function',
    function: {
      name: RETRIEVE_TOOL_RESULT,
      description:
        'Retrieve the full stored result of an earlier tool call in this chat by its tool_call_id. ' +
        'Use it when an older tool result in the conversation was replaced by a short reference.',
      parameters: {
        type: 'object',
        properties: {
          tool_call_id: { type: 'string', description: 'The id of the tool call whose result to retrieve' },
        },
        required: ['tool_call_id'],
      },
    },
  },
  target: { family: 'platform', ref: { tool: RETRIEVE_TOOL_RESULT } },
  status: { key: `platform:${RETRIEVE_TOOL_RESULT}`, fallback: 'Retrieving an earlier tool result' },
};

/** An HTTP-like code per outcome, as the original's record carried. */
const STATUS_CODES: Readonly<Record<ToolResultStatus, number>> = {
  ok: 200,
  awaiting_input: 202,
  forbidden: 403,
  rejected: 403,
  error: 500,
};

export function retrieveToolResultFamily(chats: ChatEvents): ToolFamily {
  return {
    family: 'platform',
    offer: () => Promise.resolve([OFFER]),
    async run(call: ToolRun, chat: ToolChat): Promise<ToolOutcome> {
      const id = call.arguments.tool_call_id;
      if (typeof id !== 'string' || id === '')
        return { status: 'error', result: { error: 'tool_call_id: a tool call id is required' } };
      const events = (await chats.read(streams.chat(chat.chatId))).map(upcast);
      const record = recordOf(events, id);
      return record ? { status: 'ok', result: record } : { status: 'error', result: NOT_FOUND };
    },
    rerunnable: () => true,
  };
}

type Completed = Extract<ChatEvent, { type: 'ToolCallCompleted' }>['data'];

/** The stored record of call `id` in these events, or undefined when it has no result here. */
export function recordOf(events: readonly RecordedEvent[], id: string): Record<string, unknown> | undefined {
  let plan: AssistantMessageData | undefined;
  let startedAt: string | undefined;
  let completed: Completed | undefined;
  for (const e of events) {
    const ev = { type: e.type, data: e.data } as ChatEvent;
    if (ev.type === 'AssistantMessageCompleted' && ev.data.toolCalls.some((c) => c.id === id)) plan = ev.data;
    else if (ev.type === 'ToolCallStarted' && ev.data.toolCallId === id) startedAt ??= ev.data.at;
    else if (ev.type === 'ToolCallCompleted' && ev.data.toolCallId === id) completed = ev.data;
  }
  if (!completed) return undefined;
  const planned = plan?.calls?.find((c) => c.id === id);
  const asked = plan?.toolCalls.find((c) => c.id === id);
  const full = (completed as Completed & { fullResult?: unknown }).fullResult;
  return {
    tool_call_id: id,
    tool_name: completed.name,
    arguments: planned?.arguments ?? parsed(asked?.function.arguments),
    result: parsed(typeof full === 'string' ? full : completed.result),
    status: completed.status,
    status_code: STATUS_CODES[completed.status],
    duration_ms: startedAt ? Date.parse(completed.at) - Date.parse(startedAt) : null,
    source: planned?.target?.family ?? planned?.builtin ?? 'function',
    created_at: completed.at,
  };
}

/** JSON text as its value; anything else as the text itself. */
function parsed(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // a plain-text result (or one cut short): the text is the result
  }
}
