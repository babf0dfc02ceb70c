/** The messages one turn sends to the model, rebuilt from the chat's events (reference §3.8 steps 5-6). */
import type { ChatEvent } from '../../events/chat-events.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { LlmMessage } from '../llm/llm.js';
import { renderOrRaw } from './templates.js';

export interface PromptSources {
  readonly systemPrompt: string | null | undefined;
  readonly input: Readonly<Record<string, unknown>>;
}

/** System prompt, initial messages, then user and assistant messages up to this turn's user message. */
export function messagesForTurn(
  events: readonly RecordedEvent[],
  turnId: string,
  p: PromptSources,
): LlmMessage[] {
  const out: LlmMessage[] = [];
  if (p.systemPrompt) out.push({ role: 'system', content: renderOrRaw(p.systemPrompt, p.input) });
  for (const e of events) {
    const ev = { type: e.type, data: e.data } as ChatEvent;
    switch (ev.type) {
      case 'ChatCreated':
        for (const m of ev.data.initialMessages) out.push({ role: m.role, content: m.content });
        break;
      case 'UserMessagePosted':
        out.push({ role: 'user', content: ev.data.content });
        if (ev.data.turnId === turnId) return out;
        break;
      case 'AssistantMessageCompleted':
        if (ev.data.content !== '') out.push({ role: 'assistant', content: ev.data.content });
        break;
      default:
        break;
    }
  }
  return out;
}
