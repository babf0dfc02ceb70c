/**
 * The chat decider's answers about the tool calls a reply asked for: a person approves or rejects
 * one (a rejection is its result), the worker starts one as an execution and records its result.
 * Only calls still open in the running turn can start or complete.
 */
import { IllegalStateError } from '../../errors.js';
import type { ChatEvent } from '../../events/chat-events.js';
import type { CompleteToolCall, DecideApproval, StartToolCall } from './chat-commands.js';
import type { OpenChat, OpenToolCall } from './chat-state.js';

export function decideApproval(command: DecideApproval, s: OpenChat): readonly ChatEvent[] {
  const { toolCallId, approved, reason, by, at } = command;
  const owner = s.pending.find((t) => t.open.some((c) => c.plan.id === toolCallId));
  const call = owner?.open.find((c) => c.plan.id === toolCallId);
  if (!owner || !call)
    throw new IllegalStateError(
      `tool call ${toolCallId} has no pending approval (unknown, or already decided and run)`,
      'tool_call_id',
    );
  if (call.approval !== 'pending')
    throw new IllegalStateError(
      call.approval === 'approved'
        ? `tool call ${toolCallId} was already approved`
        : `tool call ${toolCallId} does not need approval`,
      'tool_call_id',
    );
  const { turnId } = owner;
  const decided: ChatEvent = {
    type: 'ToolApprovalDecided',
    data: { turnId, toolCallId, approved, reason, by, at },
  };
  if (approved) return [decided];
  const why = reason ? `: ${reason}` : '';
  const result = JSON.stringify({ error: `The user rejected this tool call${why}` });
  return [
    decided,
    {
      type: 'ToolCallCompleted',
      data: { turnId, toolCallId, name: call.plan.name, status: 'rejected', result, executionId: null, at },
    },
  ];
}

export function startToolCall(command: StartToolCall, s: OpenChat): readonly ChatEvent[] {
  const { turnId, toolCallId, executionId, subChatId, at } = command;
  const call = openCall(s, turnId, toolCallId);
  if (call.approval === 'pending') throw new IllegalStateError(`tool call ${toolCallId} waits for approval`);
  if (call.started) throw new IllegalStateError(`tool call ${toolCallId} already started`);
  const link = subChatId ? { subChatId } : {};
  return [
    { type: 'ToolCallStarted', data: { turnId, toolCallId, name: call.plan.name, executionId, ...link, at } },
  ];
}

export function completeToolCall(command: CompleteToolCall, s: OpenChat): readonly ChatEvent[] {
  const { turnId, toolCallId, status, result, executionId, detail, fullResult, subChatId, at } = command;
  const call = openCall(s, turnId, toolCallId);
  return [
    {
      type: 'ToolCallCompleted',
      data: {
        turnId,
        toolCallId,
        name: call.plan.name,
        status,
        result,
        executionId,
        ...(detail ? { detail } : {}),
        ...(fullResult !== undefined ? { fullResult } : {}),
        ...(subChatId ? { subChatId } : {}),
        at,
      },
    },
  ];
}

/** The call, if it is open in the running turn. */
function openCall(s: OpenChat, turnId: string, toolCallId: string): OpenToolCall {
  const head = s.pending[0];
  const call = head?.turnId === turnId ? head.open.find((c) => c.plan.id === toolCallId) : undefined;
  if (!call) throw new IllegalStateError(`tool call ${toolCallId} is not open in turn ${turnId}`);
  return call;
}
