/**
 * How much of a chat's history one model call sees (reference §3.8 step 6): the last N messages,
 * never starting between a tool call and its results, and only the last few tool results inline —
 * older ones become a marker naming `retrieve_tool_result`, which reads the full record from the
 * chat's events. The system prompt and the agent's initial messages are not history: they always stay.
 */
import type { LlmMessage } from '../llm/llm.js';

export interface HistoryWindow {
  /** the history messages (user, assistant, tool) kept: the newest ones (SINAS_HISTORY_MAX_MESSAGES) */
  readonly maxMessages: number;
  /** tool results kept inline, newest first; older ones become a marker (SINAS_HISTORY_INLINE_TOOL_RESULTS) */
  readonly inlineToolResults: number;
}

export const DEFAULT_HISTORY_WINDOW: HistoryWindow = { maxMessages: 100, inlineToolResults: 5 };

/** What an older tool result is replaced with (the reference's exact text). */
export function toolResultMarker(name: string, toolCallId: string): string {
  return `[Result from ${name} (tool_call_id: ${toolCallId}). Use retrieve_tool_result("${toolCallId}") to access full data.]`;
}

/**
 * The window over `history` (messages after the system prompt and initial messages): its last
 * `maxMessages`, widened back to the assistant message whose tool calls the first kept message
 * answers, then every tool result but the last `inlineToolResults` replaced by its marker.
 */
export function windowed(history: readonly LlmMessage[], w: HistoryWindow): LlmMessage[] {
  let start = Math.max(0, history.length - w.maxMessages);
  while (start > 0 && history[start]!.role === 'tool') start--; // keep a call with its results
  const kept = history.slice(start);
  let inline = w.inlineToolResults;
  for (let i = kept.length - 1; i >= 0; i--) {
    const m = kept[i]!;
    if (m.role !== 'tool') continue;
    if (inline > 0) inline--;
    else kept[i] = { ...m, content: toolResultMarker(m.name ?? 'tool', m.tool_call_id ?? '') };
  }
  return kept;
}
