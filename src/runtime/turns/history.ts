/** The messages one turn sends to the model, rebuilt from the chat's events (reference §3.8 steps 5-6). */
import type { ChatEvent } from '../../events/chat-events.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { LlmMessage } from '../llm/llm.js';
import { renderOrRaw } from './templates.js';

export interface PromptSources {
  readonly systemPrompt: string | null | undefined;
  readonly input: Readonly<Record<string, unknown>>;
  /** appended to the rendered system prompt (the structured-output instruction) */
  readonly suffix?: string;
}

/**
 * System prompt, initial messages, then each earlier turn's user message followed by its reply,
 * up to this turn's user message. Turns are kept together even when a message was queued while
 * an earlier turn ran (so its event sits before that turn's reply in the stream).
 */
export function messagesForTurn(
  events: readonly RecordedEvent[],
  turnId: string,
  p: PromptSources,
): LlmMessage[] {
  const out: LlmMessage[] = [];
  const system = (p.systemPrompt ? renderOrRaw(p.systemPrompt, p.input) : '') + (p.suffix ?? '');
  if (system.trim() !== '') out.push({ role: 'system', content: system.trim() });
  const turns: { turnId: string; user: string }[] = [];
  const replies = new Map<string, string>();
  for (const e of events) {
    const ev = { type: e.type, data: e.data } as ChatEvent;
    if (ev.type === 'ChatCreated')
      for (const m of ev.data.initialMessages) out.push({ role: m.role, content: m.content });
    else if (ev.type === 'UserMessagePosted') turns.push({ turnId: ev.data.turnId, user: ev.data.content });
    else if (ev.type === 'AssistantMessageCompleted') replies.set(ev.data.turnId, ev.data.content);
  }
  for (const turn of turns) {
    out.push({ role: 'user', content: turn.user });
    if (turn.turnId === turnId) break;
    const reply = replies.get(turn.turnId);
    if (reply) out.push({ role: 'assistant', content: reply });
  }
  return out;
}
