/**
 * The chat aggregate: messages and turns. A turn is requested by a user message, started (maybe
 * more than once, if a worker died), and ends completed, failed or cancelled. Turns run one at a
 * time, in order; a message sent while one runs follows the agent's policy (enqueue by default).
 */
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors.js';
import type {
  AgentRef,
  AssistantMessageData,
  ChatCreatedData,
  ChatEvent,
  ToolCallPlan,
  ToolResultStatus,
} from '../../events/chat-events.js';
import type { Decider } from '../decider.js';

export type MessagePolicy = 'enqueue' | 'reject' | 'interrupt';

export type ChatCommand =
  | ({ readonly type: 'CreateChat' } & ChatCreatedData)
  | {
      readonly type: 'PostUserMessage';
      readonly messageId: string;
      readonly turnId: string;
      readonly content: string;
      readonly policy: MessagePolicy;
      readonly by: string;
      readonly at: string;
    }
  | {
      readonly type: 'StartTurn';
      readonly turnId: string;
      readonly model: string;
      readonly provider: string;
      readonly agentVersion: number;
      /** the worker run starting it (names its delta channel) */
      readonly runId?: string;
      readonly at: string;
    }
  /** the reply; `calls` non-empty: the tool calls the turn goes on to run (else the message ends it) */
  | ({ readonly type: 'CompleteTurn' } & Omit<AssistantMessageData, 'endsTurn'>)
  | {
      readonly type: 'RewriteUserMessage';
      readonly turnId: string;
      readonly content: string;
      readonly by: string;
      readonly at: string;
    }
  | {
      readonly type: 'ReviseAssistantMessage';
      readonly turnId: string;
      readonly messageId: string;
      readonly content: string;
      readonly by: string;
      readonly at: string;
    }
  | {
      readonly type: 'DecideApproval';
      readonly toolCallId: string;
      readonly approved: boolean;
      readonly reason: string | null;
      readonly by: string;
      readonly at: string;
    }
  | {
      readonly type: 'StartToolCall';
      readonly turnId: string;
      readonly toolCallId: string;
      readonly executionId: string;
      readonly at: string;
    }
  | {
      readonly type: 'CompleteToolCall';
      readonly turnId: string;
      readonly toolCallId: string;
      readonly status: ToolResultStatus;
      readonly result: string;
      readonly executionId: string | null;
      readonly at: string;
    }
  | {
      readonly type: 'FailTurn';
      readonly turnId: string;
      readonly attempt: number;
      readonly error: string;
      readonly at: string;
    }
  | { readonly type: 'CancelTurn'; readonly by: string; readonly at: string }
  | { readonly type: 'ChangeTitle'; readonly title: string; readonly at: string }
  | { readonly type: 'SetArchived'; readonly archived: boolean; readonly at: string };

export interface OpenToolCall {
  readonly plan: ToolCallPlan;
  readonly approval: 'none' | 'pending' | 'approved';
  readonly executionId: string | null;
}

export interface Turn {
  readonly turnId: string;
  /** the user message that requested it */
  readonly messageId: string;
  /** 0 until a worker starts it; then the latest model call (each retry and each tool round adds one) */
  readonly attempt: number;
  /** model replies with tool calls so far */
  readonly toolRounds: number;
  /** the last reply's tool calls that have no result yet; the next model call waits for all */
  readonly open: readonly OpenToolCall[];
}

export type ChatState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'open';
      readonly chatId: string;
      readonly userId: string;
      readonly agent: AgentRef;
      readonly agentVersion: number;
      readonly input: Readonly<Record<string, unknown>>;
      readonly sessionKey: string | null;
      readonly title: string;
      readonly archived: boolean;
      /** turns not yet ended, oldest first; the first is the one that runs */
      readonly pending: readonly Turn[];
    };

type Open = Extract<ChatState, { status: 'open' }>;

const at = (c: { at: string }) => c.at;

export const chatDecider: Decider<ChatCommand, ChatEvent, ChatState> = {
  initialState: { status: 'absent' },
  eventVersion: 2, // 2: the versions its events name count from 1 (events/version-upcasts.ts)
  decide(command, state): readonly ChatEvent[] {
    if (command.type === 'CreateChat') {
      if (state.status !== 'absent') throw new IllegalStateError('chat already exists');
      const { type: _t, ...data } = command;
      return [{ type: 'ChatCreated', data }];
    }
    if (state.status === 'absent') throw new NotFoundError('chat not found');
    return decideOpen(command, state);
  },
  evolve(state, event): ChatState {
    if (event.type === 'ChatCreated') {
      const d = event.data;
      return {
        status: 'open',
        chatId: d.chatId,
        userId: d.userId,
        agent: d.agent,
        agentVersion: d.agentVersion,
        input: d.input,
        sessionKey: d.sessionKey,
        title: d.title,
        archived: false,
        pending: [],
      };
    }
    if (state.status !== 'open') return state;
    return evolveOpen(state, event);
  },
};

function decideOpen(command: Exclude<ChatCommand, { type: 'CreateChat' }>, s: Open): readonly ChatEvent[] {
  const head = s.pending[0];
  switch (command.type) {
    case 'PostUserMessage': {
      if (command.content.trim() === '') throw new ValidationError('content: must not be empty', 'content');
      const posted: ChatEvent = {
        type: 'UserMessagePosted',
        data: {
          messageId: command.messageId,
          turnId: command.turnId,
          content: command.content,
          at: at(command),
        },
      };
      if (!head || command.policy === 'enqueue') return [posted];
      if (command.policy === 'reject')
        throw new IllegalStateError('a turn is running; wait for it or cancel it', 'content');
      return [
        ...s.pending.map((t): ChatEvent => ({
          type: 'TurnCancelled',
          data: { turnId: t.turnId, by: command.by, at: at(command) },
        })),
        posted,
      ];
    }
    case 'StartTurn': {
      if (head?.turnId !== command.turnId)
        throw new IllegalStateError(`turn ${command.turnId} is not the next to run`);
      if (head.open.length > 0)
        throw new IllegalStateError(`turn ${command.turnId} waits for ${head.open.length} tool call(s)`);
      const { type: _t, ...rest } = command;
      return [{ type: 'TurnStarted', data: { ...rest, attempt: head.attempt + 1 } }];
    }
    case 'CompleteTurn': {
      checkRunning(head, command);
      if (head!.open.length > 0) throw new IllegalStateError(`turn ${command.turnId} waits for tool calls`);
      const { type: _t, calls = [], ...data } = command;
      if (calls.length === 0) return [{ type: 'AssistantMessageCompleted', data }];
      return [
        { type: 'AssistantMessageCompleted', data: { ...data, endsTurn: false, calls } },
        ...calls
          .filter((c) => c.requiresApproval && c.function && c.arguments && !c.invalid)
          .map((c): ChatEvent => ({
            type: 'ToolApprovalRequested',
            data: {
              turnId: command.turnId,
              toolCallId: c.id,
              function: c.function!,
              arguments: c.arguments!,
              at: at(command),
            },
          })),
      ];
    }
    case 'RewriteUserMessage': {
      const turn = s.pending.find((t) => t.turnId === command.turnId);
      if (!turn) throw new IllegalStateError(`turn ${command.turnId} has ended`);
      const { type: _t, ...rest } = command;
      return [{ type: 'UserMessageRewritten', data: { ...rest, messageId: turn.messageId } }];
    }
    case 'ReviseAssistantMessage': {
      const { type: _t, ...data } = command;
      return [{ type: 'AssistantMessageRevised', data }];
    }
    case 'DecideApproval': {
      const owner = s.pending.find((t) => t.open.some((c) => c.plan.id === command.toolCallId));
      const call = owner?.open.find((c) => c.plan.id === command.toolCallId);
      if (!owner || !call)
        throw new IllegalStateError(
          `tool call ${command.toolCallId} has no pending approval (unknown, or already decided and run)`,
          'tool_call_id',
        );
      if (call.approval !== 'pending')
        throw new IllegalStateError(
          call.approval === 'approved'
            ? `tool call ${command.toolCallId} was already approved`
            : `tool call ${command.toolCallId} does not need approval`,
          'tool_call_id',
        );
      const decided: ChatEvent = {
        type: 'ToolApprovalDecided',
        data: {
          turnId: owner.turnId,
          toolCallId: command.toolCallId,
          approved: command.approved,
          reason: command.reason,
          by: command.by,
          at: at(command),
        },
      };
      if (command.approved) return [decided];
      const why = command.reason ? `: ${command.reason}` : '';
      return [
        decided,
        {
          type: 'ToolCallCompleted',
          data: {
            turnId: owner.turnId,
            toolCallId: command.toolCallId,
            name: call.plan.name,
            status: 'rejected',
            result: JSON.stringify({ error: `The user rejected this tool call${why}` }),
            executionId: null,
            at: at(command),
          },
        },
      ];
    }
    case 'StartToolCall': {
      const call = openCall(head, command.turnId, command.toolCallId);
      if (call.approval === 'pending')
        throw new IllegalStateError(`tool call ${command.toolCallId} waits for approval`);
      if (call.executionId !== null)
        throw new IllegalStateError(`tool call ${command.toolCallId} already started`);
      return [
        {
          type: 'ToolCallStarted',
          data: {
            turnId: command.turnId,
            toolCallId: command.toolCallId,
            name: call.plan.name,
            executionId: command.executionId,
            at: at(command),
          },
        },
      ];
    }
    case 'CompleteToolCall': {
      const call = openCall(head, command.turnId, command.toolCallId);
      return [
        {
          type: 'ToolCallCompleted',
          data: {
            turnId: command.turnId,
            toolCallId: command.toolCallId,
            name: call.plan.name,
            status: command.status,
            result: command.result,
            executionId: command.executionId,
            at: at(command),
          },
        },
      ];
    }
    case 'FailTurn': {
      checkRunning(head, command);
      return [
        {
          type: 'TurnFailed',
          data: { turnId: command.turnId, attempt: command.attempt, error: command.error, at: at(command) },
        },
      ];
    }
    case 'CancelTurn': {
      if (!head) throw new IllegalStateError('no turn is running');
      return [{ type: 'TurnCancelled', data: { turnId: head.turnId, by: command.by, at: at(command) } }];
    }
    case 'ChangeTitle':
      return command.title === s.title
        ? []
        : [{ type: 'ChatTitleChanged', data: { title: command.title, at: at(command) } }];
    case 'SetArchived':
      if (command.archived === s.archived) return [];
      return [{ type: command.archived ? 'ChatArchived' : 'ChatUnarchived', data: { at: at(command) } }];
    default: {
      const unreachable: never = command;
      throw new ValidationError(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

function openCall(head: Turn | undefined, turnId: string, toolCallId: string): OpenToolCall {
  const call = head?.turnId === turnId ? head.open.find((c) => c.plan.id === toolCallId) : undefined;
  if (!call) throw new IllegalStateError(`tool call ${toolCallId} is not open in turn ${turnId}`);
  return call;
}

/** Only the latest attempt of the running turn may end it: a stale worker's result is refused. */
function checkRunning(head: Turn | undefined, c: { turnId: string; attempt: number }): void {
  if (head?.turnId !== c.turnId || head.attempt !== c.attempt) {
    throw new IllegalStateError(`turn ${c.turnId} attempt ${c.attempt} is not the running one`);
  }
}

function withTurn(s: Open, turnId: string, f: (t: Turn) => Turn): Open {
  return { ...s, pending: s.pending.map((t) => (t.turnId === turnId ? f(t) : t)) };
}

function evolveOpen(s: Open, event: Exclude<ChatEvent, { type: 'ChatCreated' }>): ChatState {
  switch (event.type) {
    case 'UserMessagePosted':
      return {
        ...s,
        pending: [
          ...s.pending,
          { turnId: event.data.turnId, messageId: event.data.messageId, attempt: 0, toolRounds: 0, open: [] },
        ],
      };
    case 'TurnStarted':
      return {
        ...s,
        pending: s.pending.map((t) =>
          t.turnId === event.data.turnId ? { ...t, attempt: event.data.attempt } : t,
        ),
      };
    case 'AssistantMessageCompleted': {
      const d = event.data;
      if (d.endsTurn !== false) return { ...s, pending: s.pending.filter((t) => t.turnId !== d.turnId) };
      return withTurn(s, d.turnId, (t) => ({
        ...t,
        toolRounds: t.toolRounds + 1,
        open: (d.calls ?? []).map((plan) => ({ plan, approval: 'none' as const, executionId: null })),
      }));
    }
    case 'ToolApprovalRequested':
    case 'ToolApprovalDecided':
    case 'ToolCallStarted': {
      const d = event.data;
      const change = (c: OpenToolCall): OpenToolCall =>
        event.type === 'ToolApprovalRequested'
          ? { ...c, approval: 'pending' }
          : event.type === 'ToolApprovalDecided'
            ? { ...c, approval: 'approved' }
            : { ...c, executionId: event.data.executionId };
      return withTurn(s, d.turnId, (t) => ({
        ...t,
        open: t.open.map((c) => (c.plan.id === d.toolCallId ? change(c) : c)),
      }));
    }
    case 'UserMessageRewritten':
    case 'AssistantMessageRevised':
      return s;
    case 'ToolCallCompleted': {
      const d = event.data;
      return withTurn(s, d.turnId, (t) => ({ ...t, open: t.open.filter((c) => c.plan.id !== d.toolCallId) }));
    }
    case 'TurnFailed':
    case 'TurnCancelled':
      return { ...s, pending: s.pending.filter((t) => t.turnId !== event.data.turnId) };
    case 'ChatTitleChanged':
      return { ...s, title: event.data.title };
    case 'ChatArchived':
      return { ...s, archived: true };
    case 'ChatUnarchived':
      return { ...s, archived: false };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
