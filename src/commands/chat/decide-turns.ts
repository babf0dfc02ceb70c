/**
 * The chat decider's answers to the worker running a turn: start it (a new attempt), record the
 * model's reply, fail it; and to a person cancelling it. Only the running turn's latest attempt may
 * end it, so a stale worker's result is refused.
 */
import { IllegalStateError } from '../../errors.js';
import type { ChatEvent } from '../../events/chat-events.js';
import type { CancelTurn, CompleteTurn, FailTurn, StartTurn } from './chat-commands.js';
import { cancelLinks, subTurnEnded, type OpenChat, type Turn } from './chat-state.js';

export function startTurn(command: StartTurn, s: OpenChat): readonly ChatEvent[] {
  const head = s.pending[0];
  if (head?.turnId !== command.turnId)
    throw new IllegalStateError(`turn ${command.turnId} is not the next to run`);
  if (head.open.length > 0)
    throw new IllegalStateError(`turn ${command.turnId} waits for ${head.open.length} tool call(s)`);
  const { type: _t, ...rest } = command;
  return [{ type: 'TurnStarted', data: { ...rest, attempt: head.attempt + 1 } }];
}

/** A reply without calls ends the turn; with calls, those needing approval are asked for. */
export function completeTurn(command: CompleteTurn, s: OpenChat): readonly ChatEvent[] {
  const head = running(s, command);
  if (head.open.length > 0) throw new IllegalStateError(`turn ${command.turnId} waits for tool calls`);
  const { type: _t, calls = [], ...data } = command;
  if (calls.length === 0)
    return [{ type: 'AssistantMessageCompleted', data }, ...subTurnEnded(head, command.at)];
  const approvals = calls
    .filter((c) => c.requiresApproval && (c.function || c.target) && c.arguments && !c.invalid)
    .map((c): ChatEvent => ({
      type: 'ToolApprovalRequested',
      data: {
        turnId: command.turnId,
        toolCallId: c.id,
        function: c.function,
        ...(c.target ? { target: c.target, name: c.name } : {}),
        arguments: c.arguments!,
        at: command.at,
      },
    }));
  return [{ type: 'AssistantMessageCompleted', data: { ...data, endsTurn: false, calls } }, ...approvals];
}

export function failTurn(command: FailTurn, s: OpenChat): readonly ChatEvent[] {
  const head = running(s, command);
  const { turnId, attempt, error, at } = command;
  return [{ type: 'TurnFailed', data: { turnId, attempt, error, at } }, ...subTurnEnded(head, at)];
}

/** Cancels the turn that runs now (the first pending one). */
export function cancelTurn(command: CancelTurn, s: OpenChat): readonly ChatEvent[] {
  const head = command.turnId ? s.pending.find((t) => t.turnId === command.turnId) : s.pending[0];
  if (!head) throw new IllegalStateError(command.turnId ? 'the turn has ended' : 'no turn is running');
  return [
    {
      type: 'TurnCancelled',
      data: { turnId: head.turnId, by: command.by, ...cancelLinks(head), at: command.at },
    },
    ...subTurnEnded(head, command.at),
  ];
}

/** The running turn, if `c` names it and its latest attempt; a stale worker's result is refused. */
function running(s: OpenChat, c: { turnId: string; attempt: number }): Turn {
  const head = s.pending[0];
  if (head?.turnId !== c.turnId || head.attempt !== c.attempt)
    throw new IllegalStateError(`turn ${c.turnId} attempt ${c.attempt} is not the running one`);
  return head;
}
