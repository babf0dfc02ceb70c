/**
 * A chat as its decider sees it: who owns it, and its turns not yet ended (oldest first; the first
 * runs), each with the tool calls it waits for. `evolveChat` folds one event into it.
 */
import type {
  AgentRef,
  ChatEvent,
  SubAgentCaller,
  SubChatCall,
  ToolCallPlan,
} from '../../events/chat-events.js';
import {
  asChatId,
  asExecutionId,
  asTurnId,
  asUserId,
  type ChatId,
  type ExecutionId,
  type TurnId,
  type UserId,
} from '../../events/ids.js';

export interface OpenToolCall {
  readonly plan: ToolCallPlan;
  readonly approval: 'none' | 'pending' | 'approved';
  /** recorded as started (ToolCallStarted), as an execution or inline */
  readonly started: boolean;
  /** the execution it runs as; null before it starts, and for a call a family runs inline */
  readonly executionId: ExecutionId | null;
  /** a sub-agent call's sub-chat, once started */
  readonly subChatId?: string;
}

export interface Turn {
  readonly turnId: TurnId;
  /** the user message that requested it */
  readonly messageId: string;
  /** 0 until a worker starts it; then the latest model call (each retry and each tool round adds one) */
  readonly attempt: number;
  /** model replies with tool calls so far */
  readonly toolRounds: number;
  /** the last reply's tool calls that have no result yet; the next model call waits for all */
  readonly open: readonly OpenToolCall[];
  /** a sub-agent's turn: the parent call its message came from */
  readonly caller?: SubAgentCaller;
}

/** What follows the event ending a sub-agent's turn: the parent call to wake (subagent-reactor.ts). */
export function subTurnEnded(t: Turn, at: string): ChatEvent[] {
  return t.caller ? [{ type: 'SubTurnEnded', data: { turnId: t.turnId, caller: t.caller, at } }] : [];
}

/** What a cancel names for sub-agents: the sub-chats of its running calls, cancelled with it. */
export function cancelLinks(t: Turn): { subChats?: SubChatCall[] } {
  const subChats = t.open.flatMap((c) =>
    c.subChatId ? [{ toolCallId: c.plan.id, subChatId: c.subChatId }] : [],
  );
  return subChats.length > 0 ? { subChats } : {};
}

export type ChatState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'open';
      readonly chatId: ChatId;
      readonly userId: UserId;
      readonly agent: AgentRef;
      readonly agentVersion: number;
      readonly input: Readonly<Record<string, unknown>>;
      readonly sessionKey: string | null;
      readonly title: string;
      readonly archived: boolean;
      /** turns not yet ended, oldest first; the first is the one that runs */
      readonly pending: readonly Turn[];
    };

export type OpenChat = Extract<ChatState, { status: 'open' }>;

export function evolveChat(state: ChatState, event: ChatEvent): ChatState {
  if (event.type === 'ChatCreated') {
    const d = event.data;
    return {
      status: 'open',
      chatId: asChatId(d.chatId),
      userId: asUserId(d.userId),
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
}

function withTurn(s: OpenChat, turnId: string, f: (t: Turn) => Turn): OpenChat {
  return { ...s, pending: s.pending.map((t) => (t.turnId === turnId ? f(t) : t)) };
}

function withCall(s: OpenChat, turnId: string, toolCallId: string, f: (c: OpenToolCall) => OpenToolCall) {
  return withTurn(s, turnId, (t) => ({
    ...t,
    open: t.open.map((c) => (c.plan.id === toolCallId ? f(c) : c)),
  }));
}

const ended = (s: OpenChat, turnId: string): OpenChat => ({
  ...s,
  pending: s.pending.filter((t) => t.turnId !== turnId),
});

function evolveOpen(s: OpenChat, event: Exclude<ChatEvent, { type: 'ChatCreated' }>): ChatState {
  switch (event.type) {
    case 'UserMessagePosted': {
      const { turnId, messageId, caller } = event.data;
      const turn: Turn = {
        turnId: asTurnId(turnId),
        messageId,
        attempt: 0,
        toolRounds: 0,
        open: [],
        ...(caller ? { caller } : {}),
      };
      return { ...s, pending: [...s.pending, turn] };
    }
    case 'TurnStarted':
      return withTurn(s, event.data.turnId, (t) => ({ ...t, attempt: event.data.attempt }));
    case 'AssistantMessageCompleted': {
      const d = event.data;
      if (d.endsTurn !== false) return ended(s, d.turnId);
      return withTurn(s, d.turnId, (t) => ({
        ...t,
        toolRounds: t.toolRounds + 1,
        open: (d.calls ?? []).map((plan) => ({
          plan,
          approval: 'none' as const,
          started: false,
          executionId: null,
        })),
      }));
    }
    case 'ToolApprovalRequested':
      return withCall(s, event.data.turnId, event.data.toolCallId, (c) => ({ ...c, approval: 'pending' }));
    case 'ToolApprovalDecided':
      return withCall(s, event.data.turnId, event.data.toolCallId, (c) => ({ ...c, approval: 'approved' }));
    case 'ToolCallStarted': {
      const id = event.data.executionId;
      const executionId = id === null ? null : asExecutionId(id);
      const sub = event.data.subChatId;
      return withCall(s, event.data.turnId, event.data.toolCallId, (c) => ({
        ...c,
        started: true,
        executionId,
        ...(sub ? { subChatId: sub } : {}),
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
      return ended(s, event.data.turnId);
    case 'SubTurnEnded':
      return s;
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
