/** What can be asked of a chat (one union, imperative names); the chat decider answers each. */
import type {
  AssistantMessageData,
  ChatCreatedData,
  ChatEvent,
  SubAgentCaller,
  ToolCallDetail,
  ToolResultStatus,
} from '../../events/chat-events.js';
import type { ChatId, ExecutionId, TurnId, UserId } from '../../events/ids.js';
import type { StoredPart } from '../../events/message-parts.js';

export type MessagePolicy = 'enqueue' | 'reject' | 'interrupt';

export type CreateChat = { readonly type: 'CreateChat' } & Omit<ChatCreatedData, 'chatId' | 'userId'> & {
    readonly chatId: ChatId;
    readonly userId: UserId;
  };

export interface PostUserMessage {
  readonly type: 'PostUserMessage';
  readonly messageId: string;
  readonly turnId: TurnId;
  readonly content: string;
  /** the message's parts when one is not text (stored by reference) */
  readonly parts?: readonly StoredPart[];
  readonly policy: MessagePolicy;
  readonly by: UserId;
  /** a parent chat's sub-agent call posted it */
  readonly caller?: SubAgentCaller;
  readonly at: string;
}

export interface StartTurn {
  readonly type: 'StartTurn';
  readonly turnId: TurnId;
  readonly model: string;
  readonly provider: string;
  readonly agentVersion: number;
  /** the worker run starting it (names its delta channel) */
  readonly runId?: string;
  readonly at: string;
}

/** the reply; `calls` non-empty: the tool calls the turn goes on to run (else the message ends it) */
export type CompleteTurn = { readonly type: 'CompleteTurn' } & Omit<
  AssistantMessageData,
  'endsTurn' | 'turnId' | 'caller'
> & {
    readonly turnId: TurnId;
  };

export interface RewriteUserMessage {
  readonly type: 'RewriteUserMessage';
  readonly turnId: TurnId;
  readonly content: string;
  /** the hooks that rewrote it */
  readonly by: string;
  readonly at: string;
}

export interface ReviseAssistantMessage {
  readonly type: 'ReviseAssistantMessage';
  readonly turnId: TurnId;
  readonly messageId: string;
  readonly content: string;
  /** the hook that revised it */
  readonly by: string;
  readonly at: string;
}

export interface DecideApproval {
  readonly type: 'DecideApproval';
  readonly toolCallId: string;
  readonly approved: boolean;
  readonly reason: string | null;
  readonly by: UserId;
  readonly at: string;
}

export interface StartToolCall {
  readonly type: 'StartToolCall';
  readonly turnId: TurnId;
  readonly toolCallId: string;
  /** null: a family runs it inline */
  readonly executionId: ExecutionId | null;
  /** a sub-agent call's sub-chat */
  readonly subChatId?: string;
  readonly at: string;
}

export interface CompleteToolCall {
  readonly type: 'CompleteToolCall';
  readonly turnId: TurnId;
  readonly toolCallId: string;
  readonly status: ToolResultStatus;
  readonly result: string;
  readonly executionId: ExecutionId | null;
  /** what an inline call did, for audit */
  readonly detail?: ToolCallDetail;
  /** the whole result when `result` was cut */
  readonly fullResult?: string;
  readonly subChatId?: string;
  readonly at: string;
}

export interface FailTurn {
  readonly type: 'FailTurn';
  readonly turnId: TurnId;
  readonly attempt: number;
  readonly error: string;
  readonly at: string;
}

export interface CancelTurn {
  readonly type: 'CancelTurn';
  /** that pending turn (a sub-chat's, cancelled with its parent); absent: the running one */
  readonly turnId?: TurnId;
  readonly by: UserId;
  readonly at: string;
}

export interface ChangeTitle {
  readonly type: 'ChangeTitle';
  readonly title: string;
  readonly at: string;
}

export interface SetArchived {
  readonly type: 'SetArchived';
  readonly archived: boolean;
  /** who archives it (a sub-chat's called turns are cancelled in their name) */
  readonly by: UserId;
  readonly at: string;
}

/** a new chat holding a copy of another's history (fork-history.ts plans it) */
export interface ForkChat {
  readonly type: 'ForkChat';
  readonly created: ChatCreatedData;
  readonly history: readonly ChatEvent[];
}

export type ChatCommand =
  | CreateChat
  | ForkChat
  | PostUserMessage
  | StartTurn
  | CompleteTurn
  | RewriteUserMessage
  | ReviseAssistantMessage
  | DecideApproval
  | StartToolCall
  | CompleteToolCall
  | FailTurn
  | CancelTurn
  | ChangeTitle
  | SetArchived;
