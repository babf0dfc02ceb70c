/**
 * Follows one turn's events to say when a caller waiting on it can stop: the turn ended, or it waits
 * only for people (every open tool call needs an approval). Also turns the durable tool events into
 * the Sinas SSE frames `tool_start`, `tool_end` and `approval_required` (reference §3.5).
 */
import { endsTurn, type ChatEvent, type ToolCallPlan } from '../events/chat-events.js';
import type { RecordedEvent } from '../events/event-store.js';
import type { SseFrame } from './sse.js';

type Reply = Extract<ChatEvent, { type: 'AssistantMessageCompleted' }>['data'];

interface EventLike {
  readonly type: string;
  readonly data: unknown;
}

export type TurnStop<E extends EventLike = RecordedEvent> =
  | { readonly kind: 'ended'; readonly event: E }
  | { readonly kind: 'awaiting_approval'; readonly reply: Reply; readonly pending: readonly ToolCallPlan[] };

export class TurnWatch {
  private readonly open = new Map<string, ToolCallPlan>();
  private readonly awaiting = new Set<string>();
  private reply: Reply | undefined;

  constructor(readonly turnId: string) {}

  /** Feeds one chat event; returns why to stop, if the turn has stopped. */
  see<E extends EventLike>(e: E): TurnStop<E> | undefined {
    const ev = { type: e.type, data: e.data } as ChatEvent;
    if ((ev.data as { turnId?: string }).turnId !== this.turnId) return undefined;
    if (endsTurn(e.type, e.data)) return { kind: 'ended', event: e };
    switch (ev.type) {
      case 'AssistantMessageCompleted':
        this.reply = ev.data;
        this.open.clear();
        this.awaiting.clear();
        for (const c of ev.data.calls ?? []) this.open.set(c.id, c);
        return undefined;
      case 'ToolApprovalRequested':
        this.awaiting.add(ev.data.toolCallId);
        break;
      case 'ToolApprovalDecided':
        this.awaiting.delete(ev.data.toolCallId);
        break;
      case 'ToolCallCompleted':
        this.open.delete(ev.data.toolCallId);
        this.awaiting.delete(ev.data.toolCallId);
        break;
      default:
        return undefined;
    }
    const waitingForPeople = this.open.size > 0 && [...this.open.keys()].every((id) => this.awaiting.has(id));
    if (!waitingForPeople || !this.reply) return undefined;
    return {
      kind: 'awaiting_approval',
      reply: this.reply,
      pending: [...this.open.values()],
    };
  }

  /** The Sinas frames an event stands for (same `id:` as its durable frame, so resuming skips both). */
  aliases(e: EventLike, id: string | undefined): SseFrame[] {
    const ev = { type: e.type, data: e.data } as ChatEvent;
    const frame = (event: string, data: object): SseFrame => ({ event, ...(id ? { id } : {}), data });
    switch (ev.type) {
      case 'ToolCallStarted': {
        const plan = this.open.get(ev.data.toolCallId);
        return [
          frame('tool_start', {
            type: 'tool_start',
            tool_call_id: ev.data.toolCallId,
            name: ev.data.name,
            arguments: JSON.stringify(plan?.arguments ?? {}),
            description: plan?.description ?? `Running ${ev.data.name}`,
            execution_id: ev.data.executionId,
          }),
        ];
      }
      case 'ToolCallCompleted':
        return [
          frame('tool_end', {
            type: 'tool_end',
            tool_call_id: ev.data.toolCallId,
            name: ev.data.name,
            status: ev.data.status,
            result: ev.data.result,
          }),
        ];
      case 'ToolApprovalRequested':
        return [
          frame('approval_required', {
            type: 'approval_required',
            tool_call_id: ev.data.toolCallId,
            function_namespace: ev.data.function.namespace,
            function_name: ev.data.function.name,
            arguments: ev.data.arguments,
          }),
        ];
      default:
        return [];
    }
  }
}
