/**
 * A recorded chat read as turns to replay: for each user turn its history (the chat's events with
 * this turn's and later turns' model replies left out), its final answer, the tool calls it made
 * with their recorded results, and its usage. Only reads what the chat stream holds.
 *
 * A fork's copied turns (`isForkCopy`) are history, not turns of its own: they were replayed (and are
 * reported) with the chat they were copied from, so a run over an agent's chats counts each turn once.
 */
import type { AssistantMessageData, ChatCreatedData, ChatEvent } from '../../events/chat-events.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { isForkCopy } from '../../events/fork-copies.js';
import type { CallSummary, Usage } from './whatif-events.js';

export interface RecordedCall extends CallSummary {
  /** what the model saw as the call's result */
  readonly result: string;
}

export interface RecordedTurn {
  readonly turnId: string;
  readonly index: number;
  readonly user: string;
  /** the events the candidate's history is built from: everything before this turn's replies */
  readonly history: readonly RecordedEvent[];
  /** the final reply's text (as revised by hooks); null when the turn never answered */
  readonly answer: string | null;
  readonly calls: readonly RecordedCall[];
  readonly usage: Usage;
  readonly model: string | null;
}

export interface RecordedChat {
  readonly created: ChatCreatedData;
  readonly turns: readonly RecordedTurn[];
}

/** Arguments as key-sorted JSON, so `{"b":1,"a":2}` and `{"a":2,"b":1}` match; unparsable text as given. */
export function normalizedArguments(raw: string): string {
  try {
    return JSON.stringify(sorted(JSON.parse(raw.trim() === '' ? '{}' : raw)));
  } catch {
    return raw;
  }
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, sorted(o[k])]),
  );
}

const turnOf = (e: RecordedEvent) => (e.data as { turnId?: unknown }).turnId as string | undefined;

/** The chat's turns in the order they were posted; undefined for a stream without ChatCreated. */
export function recordedChat(events: readonly RecordedEvent[]): RecordedChat | undefined {
  const created = events.find((e) => e.type === 'ChatCreated')?.data as ChatCreatedData | undefined;
  if (!created) return undefined;
  const order = new Map<string, number>();
  for (const e of events)
    if (e.type === 'UserMessagePosted' && !isForkCopy(e)) order.set(turnOf(e)!, order.size);
  const turns = [...order.keys()].map((turnId, index) => readTurn(events, order, turnId, index));
  return { created, turns };
}

function readTurn(
  events: readonly RecordedEvent[],
  order: ReadonlyMap<string, number>,
  turnId: string,
  index: number,
): RecordedTurn {
  const history = events.filter((e) => {
    const t = turnOf(e);
    if (t === undefined || !order.has(t)) return true;
    if (t === turnId) return e.type === 'UserMessagePosted' || e.type === 'UserMessageRewritten';
    return order.get(t)! < index;
  });
  const own = events
    .filter((e) => turnOf(e) === turnId)
    .map((e) => ({ type: e.type, data: e.data }) as ChatEvent);
  let user = '';
  const replies: AssistantMessageData[] = [];
  const results = new Map<string, string>();
  for (const ev of own) {
    if (ev.type === 'UserMessagePosted' || ev.type === 'UserMessageRewritten') user = ev.data.content;
    else if (ev.type === 'AssistantMessageCompleted') replies.push(ev.data);
    else if (ev.type === 'AssistantMessageRevised') {
      const i = replies.findIndex((r) => r.messageId === ev.data.messageId);
      if (i >= 0) replies[i] = { ...replies[i]!, content: ev.data.content };
    } else if (ev.type === 'ToolCallCompleted') results.set(ev.data.toolCallId, ev.data.result);
  }
  const last = replies.at(-1);
  const answer = last && last.toolCalls.length === 0 ? last.content : null;
  const calls = replies.flatMap((r) =>
    r.toolCalls.map((c) => ({
      name: c.function.name,
      arguments: normalizedArguments(c.function.arguments),
      result: results.get(c.id) ?? '',
    })),
  );
  return { turnId, index, user, history, answer, calls, usage: usageOf(replies), model: last?.model ?? null };
}

function usageOf(replies: readonly AssistantMessageData[]): Usage {
  const sum = (k: keyof Usage) => replies.reduce((n, r) => n + (r.usage?.[k] ?? 0), 0);
  return {
    prompt_tokens: sum('prompt_tokens'),
    completion_tokens: sum('completion_tokens'),
    total_tokens: sum('total_tokens'),
  };
}
