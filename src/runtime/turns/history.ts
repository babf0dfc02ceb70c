/** The messages one turn sends to the model, rebuilt from the chat's events (reference §3.8 steps 5-6). */
import type { ChatEvent } from '../../events/chat-events.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { StoredPart } from '../../events/message-parts.js';
import type { LlmMessage } from '../llm/llm.js';
import { DEFAULT_HISTORY_WINDOW, windowed, type HistoryWindow } from './history-window.js';
import { renderOrRaw } from './templates.js';

export interface PromptSources {
  readonly systemPrompt: string | null | undefined;
  readonly input: Readonly<Record<string, unknown>>;
  /** appended to the rendered system prompt (the structured-output instruction) */
  readonly suffix?: string;
  /** how much history the call sees (default: the last 100 messages, the last 5 tool results inline) */
  readonly window?: HistoryWindow;
}

/**
 * System prompt, initial messages, then each earlier turn: its user message, each model reply (with
 * its tool calls) followed by those calls' results, up to this turn — whose own earlier tool rounds
 * are included, so a continuation call sees what its tools returned. Turns are kept together even
 * when a message was queued while an earlier turn ran. A call with no recorded result (its turn
 * ended without one) gets a synthetic error result, as the reference does. The history after the
 * system prompt and initial messages is then windowed (history-window.ts).
 */
export function messagesForTurn(
  events: readonly RecordedEvent[],
  turnId: string,
  p: PromptSources,
): LlmMessage[] {
  const head: LlmMessage[] = [];
  const out: LlmMessage[] = [];
  const system = (p.systemPrompt ? renderOrRaw(p.systemPrompt, p.input) : '') + (p.suffix ?? '');
  if (system.trim() !== '') head.push({ role: 'system', content: system.trim() });
  const turns: { turnId: string; user: string; parts?: readonly StoredPart[] | undefined }[] = [];
  const replies = new Map<string, Extract<ChatEvent, { type: 'AssistantMessageCompleted' }>['data'][]>();
  const results = new Map<string, Extract<ChatEvent, { type: 'ToolCallCompleted' }>['data']>();
  for (const e of events) {
    const ev = { type: e.type, data: e.data } as ChatEvent;
    if (ev.type === 'ChatCreated')
      for (const m of ev.data.initialMessages) head.push({ role: m.role, content: m.content });
    else if (ev.type === 'UserMessagePosted')
      turns.push({ turnId: ev.data.turnId, user: ev.data.content, parts: ev.data.parts });
    else if (ev.type === 'UserMessageRewritten') {
      const turn = turns.find((t) => t.turnId === ev.data.turnId);
      if (turn) {
        turn.user = ev.data.content;
        turn.parts &&= rewritten(turn.parts, ev.data.content);
      }
    } else if (ev.type === 'AssistantMessageRevised') {
      const reply = replies.get(ev.data.turnId)?.find((r) => r.messageId === ev.data.messageId);
      if (reply)
        replies.set(
          ev.data.turnId,
          replies.get(ev.data.turnId)!.map((r) => (r === reply ? { ...r, content: ev.data.content } : r)),
        );
    } else if (ev.type === 'AssistantMessageCompleted') {
      const list = replies.get(ev.data.turnId) ?? [];
      list.push(ev.data);
      replies.set(ev.data.turnId, list);
    } else if (ev.type === 'ToolCallCompleted') results.set(ev.data.toolCallId, ev.data);
  }
  for (const turn of turns) {
    out.push({ role: 'user', content: turn.user, ...(turn.parts ? { parts: turn.parts } : {}) });
    const current = turn.turnId === turnId;
    for (const reply of replies.get(turn.turnId) ?? []) {
      if (reply.toolCalls.length === 0) {
        if (reply.content) out.push({ role: 'assistant', content: reply.content });
        continue;
      }
      out.push({ role: 'assistant', content: reply.content || null, tool_calls: reply.toolCalls });
      for (const call of reply.toolCalls) {
        const r = results.get(call.id);
        if (!r && current) continue; // still running: the next call waits for it
        out.push({
          role: 'tool',
          tool_call_id: call.id,
          name: call.function.name,
          content: r ? r.result : INTERRUPTED,
        });
      }
    }
    if (current) break;
  }
  return [...head, ...windowed(out, p.window ?? DEFAULT_HISTORY_WINDOW)];
}

/** A hook rewrote the message's text: it replaces the text parts; images, audio and files stay. */
function rewritten(parts: readonly StoredPart[], text: string): readonly StoredPart[] {
  return [{ type: 'text', text }, ...parts.filter((p) => p.type !== 'text')];
}

export const INTERRUPTED = '[Error: function call was interrupted or timed out]';
