/**
 * The Sinas SSE frames `tool_start`, `tool_end` and `approval_required` (reference §3.5) that a
 * turn's durable tool events also go out as. Where the turn stands is the chat decider's
 * (src/commands/chat/turn-watch.ts); this module only names the frames.
 */
import type { TurnWatch } from '../commands/chat/turn-watch.js';
import type { ChatEvent } from '../events/chat-events.js';
import type { SseFrame } from './sse.js';

interface EventLike {
  readonly type: string;
  readonly data: unknown;
}

/** The Sinas frames an event stands for (same `id:` as its durable frame, so resuming skips both). */
export function toolFrames(watch: TurnWatch, e: EventLike, id: string | undefined): SseFrame[] {
  const ev = { type: e.type, data: e.data } as ChatEvent;
  const frame = (event: string, data: object): SseFrame => ({ event, ...(id ? { id } : {}), data });
  switch (ev.type) {
    case 'ToolCallStarted': {
      const plan = watch.plan(ev.data.toolCallId);
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
    case 'ToolApprovalRequested': {
      // a family's call (a connector operation, a query) names what it runs in its target
      const named = ev.data.function ?? ev.data.target?.ref;
      return [
        frame('approval_required', {
          type: 'approval_required',
          tool_call_id: ev.data.toolCallId,
          function_namespace: named?.namespace ?? null,
          function_name: named?.name ?? null,
          arguments: ev.data.arguments,
          ...(ev.data.target ? { name: ev.data.name ?? null, target: ev.data.target } : {}),
        }),
      ];
    }
    default:
      return [];
  }
}
