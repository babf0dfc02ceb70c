/** What happens in a chat (stream `chat-<id>`). Past tense, one union (CONVENTIONS). */
import type { StoredPart } from './message-parts.js';

export interface AgentRef {
  readonly namespace: string;
  readonly name: string;
  readonly id: string;
}

export interface ChatMessageData {
  readonly messageId: string;
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ToolCallData {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface UsageData {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/**
 * A tool the turn runs itself rather than as a function execution (a connector operation, a saved
 * query, a system tool, `retrieve_tool_result`): the family that runs it and what it names there,
 * e.g. `{family: 'connector', ref: {namespace, name, operation}}` or
 * `{family: 'system', ref: {tool: 'sinas_db_list_tables'}}`.
 */
export interface ToolTarget {
  readonly family: string;
  readonly ref: Readonly<Record<string, string>>;
}

/**
 * What a call did, for audit (never a credential, header value or secret): a connector's method,
 * URL without credentials, status, elapsed ms and body size; a query's row count and duration.
 */
export type ToolCallDetail = Readonly<Record<string, string | number | boolean | null>>;

/** How the turn will handle one tool call the model asked for (recorded with the assistant message). */
export interface ToolCallPlan {
  readonly id: string;
  /** the tool name the model used: `{ns}__{name}` */
  readonly name: string;
  /** the function it maps to; null for a name the agent does not offer (answered with an error) */
  readonly function: { readonly namespace: string; readonly name: string } | null;
  /** the arguments the call runs with: the model's, merged with the agent's function_parameters */
  readonly arguments: Readonly<Record<string, unknown>> | null;
  /** the model's arguments were not a JSON object: answered with an error */
  readonly invalid?: string;
  readonly requiresApproval: boolean;
  /** a platform tool instead of a function: `continue_execution` answers a paused function's input() */
  readonly builtin?: 'continue_execution';
  /** a tool of another family, run by the turn itself (`function` is then null) */
  readonly target?: ToolTarget;
  /** status text for tool_start (status_templates, reference §4.2) */
  readonly description: string;
}

/** `forbidden`: the chat's user may not execute the function, so it did not run */
export type ToolResultStatus = 'ok' | 'error' | 'rejected' | 'awaiting_input' | 'forbidden';

/** A model reply recorded for a turn (the data of AssistantMessageCompleted). */
export type AssistantMessageData = {
  readonly messageId: string;
  readonly turnId: string;
  readonly attempt: number;
  readonly content: string;
  readonly toolCalls: readonly ToolCallData[];
  readonly usage: UsageData;
  readonly model: string;
  readonly agentVersion: number;
  readonly finishReason: string;
  /** the on_user_message hook that blocked the turn (its reply is the content) */
  readonly blockedBy?: string;
  /** on_assistant_message hooks that changed the model's text before it was stored */
  readonly revisedBy?: readonly string[];
  /** false when the message asks for tool calls the turn goes on to run (absent: true) */
  readonly endsTurn?: boolean;
  readonly calls?: readonly ToolCallPlan[];
  readonly at: string;
};

export interface ChatCreatedData {
  readonly chatId: string;
  readonly userId: string;
  readonly agent: AgentRef;
  readonly agentVersion: number;
  readonly title: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly sessionKey: string | null;
  readonly expiresAt: string | null;
  readonly initialMessages: readonly ChatMessageData[];
  /** a sub-chat: the chat whose agent called this one, and the agents on the call path (root first) */
  readonly parent?: SubChatParent;
  /** a fork: the chat it was copied from and the last revision of that chat it holds (fork-history.ts) */
  readonly forkedFrom?: ForkOrigin;
  readonly at: string;
}

/** Where a fork branched off: the original chat and its revision the fork's history ends with. */
export interface ForkOrigin {
  readonly chatId: string;
  /** the original's last revision copied: the turn boundary at or before `requested` */
  readonly revision: number;
  /** the revision the caller asked for (`at`) */
  readonly requested: number;
}

/** Where a sub-chat hangs in its tree (reference §4.1 sub-agents). */
export interface SubChatParent {
  readonly chatId: string;
  /** `ns/name` of every agent from the top chat's down to the calling one */
  readonly path: readonly string[];
}

/** A running sub-agent call of a turn: the call and the sub-chat its sub-turn runs in. */
export interface SubChatCall {
  readonly toolCallId: string;
  readonly subChatId: string;
}

/** The parent call a sub-chat's message answers: its end wakes that turn. */
export interface SubAgentCaller {
  readonly chatId: string;
  readonly turnId: string;
  readonly toolCallId: string;
}

export type ChatEvent =
  | { readonly type: 'ChatCreated'; readonly data: ChatCreatedData }
  | {
      readonly type: 'UserMessagePosted';
      readonly data: {
        readonly messageId: string;
        readonly turnId: string;
        /** the text (the text parts joined, when there are parts) */
        readonly content: string;
        /** every part in order, when one is not text: blob references, never bytes (message-parts.ts) */
        readonly parts?: readonly StoredPart[];
        /** posted by a parent chat's sub-agent call (absent for a person's message) */
        readonly caller?: SubAgentCaller;
        readonly at: string;
      };
    }
  | {
      readonly type: 'TurnStarted';
      readonly data: {
        readonly turnId: string;
        readonly attempt: number;
        readonly model: string;
        readonly provider: string;
        readonly agentVersion: number;
        /**
         * the worker run that recorded it: its deltas go to a channel of its own (turnChannel), so
         * another worker's model call for the same turn never reaches a client (absent in older events)
         */
        readonly runId?: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'AssistantMessageCompleted';
      readonly data: AssistantMessageData;
    }
  | {
      /** an on_user_message hook changed the user's message before the model saw it */
      readonly type: 'UserMessageRewritten';
      readonly data: {
        readonly turnId: string;
        readonly messageId: string;
        readonly content: string;
        readonly by: string;
        readonly at: string;
      };
    }
  | {
      /** an asynchronous on_assistant_message hook changed a stored reply afterwards */
      readonly type: 'AssistantMessageRevised';
      readonly data: {
        readonly turnId: string;
        readonly messageId: string;
        readonly content: string;
        readonly by: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'ToolApprovalRequested';
      readonly data: {
        readonly turnId: string;
        readonly toolCallId: string;
        /** the function the call runs; null for a call of another family (then `target`) */
        readonly function: { readonly namespace: string; readonly name: string } | null;
        /** the family tool the call runs (absent for a function) */
        readonly target?: ToolTarget;
        /** the tool name the model used (absent in events recorded before families) */
        readonly name?: string;
        readonly arguments: Readonly<Record<string, unknown>>;
        readonly at: string;
      };
    }
  | {
      readonly type: 'ToolApprovalDecided';
      readonly data: {
        readonly turnId: string;
        readonly toolCallId: string;
        readonly approved: boolean;
        readonly reason: string | null;
        readonly by: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'ToolCallStarted';
      readonly data: {
        readonly turnId: string;
        readonly toolCallId: string;
        readonly name: string;
        /** the execution it runs as; null for a call a family runs inline (no execution) */
        readonly executionId: string | null;
        /** a sub-agent call: the sub-chat it runs in (its timeline is linked from here) */
        readonly subChatId?: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'ToolCallCompleted';
      readonly data: {
        readonly turnId: string;
        readonly toolCallId: string;
        readonly name: string;
        readonly status: ToolResultStatus;
        /** what the model sees: the serialised result, at most 10,000 characters */
        readonly result: string;
        readonly executionId: string | null;
        /** what an inline call (a `target` family) did, for audit */
        readonly detail?: ToolCallDetail;
        /**
         * the whole serialised result when `result` was cut for the model (at most FULL_RESULT_LIMIT
         * characters, then a marker): what `retrieve_tool_result` answers with
         */
        readonly fullResult?: string;
        /** a sub-agent call: the sub-chat that answered it */
        readonly subChatId?: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'TurnFailed';
      readonly data: {
        readonly turnId: string;
        readonly attempt: number;
        readonly error: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'TurnCancelled';
      readonly data: {
        readonly turnId: string;
        readonly by: string;
        /** the sub-chats of its calls still running, whose turns are cancelled with it */
        readonly subChats?: readonly SubChatCall[];
        /** 'deleted': a sub-chat's turn, ended because the sub-chat was deleted (archived) */
        readonly reason?: 'deleted';
        readonly at: string;
      };
    }
  | {
      /**
       * A sub-agent's turn has ended (right after the event that ended it): the parent call it
       * answers, whose turn the sub-agent reactor wakes. Its own type, so only trees wake that reactor.
       */
      readonly type: 'SubTurnEnded';
      readonly data: { readonly turnId: string; readonly caller: SubAgentCaller; readonly at: string };
    }
  | { readonly type: 'ChatTitleChanged'; readonly data: { readonly title: string; readonly at: string } }
  | { readonly type: 'ChatArchived'; readonly data: { readonly at: string } }
  | { readonly type: 'ChatUnarchived'; readonly data: { readonly at: string } };

export type ChatEventType = ChatEvent['type'];

/** Whether a recorded chat event ends its turn. */
export function endsTurn(type: string, data: unknown): boolean {
  if (type === 'TurnFailed' || type === 'TurnCancelled') return true;
  return type === 'AssistantMessageCompleted' && (data as { endsTurn?: boolean }).endsTurn !== false;
}

export const CHAT_EVENT_TYPES: readonly ChatEventType[] = [
  'ChatCreated',
  'UserMessagePosted',
  'TurnStarted',
  'AssistantMessageCompleted',
  'UserMessageRewritten',
  'AssistantMessageRevised',
  'ToolApprovalRequested',
  'ToolApprovalDecided',
  'ToolCallStarted',
  'ToolCallCompleted',
  'TurnFailed',
  'TurnCancelled',
  'SubTurnEnded',
  'ChatTitleChanged',
  'ChatArchived',
  'ChatUnarchived',
];

/**
 * The live-bus channel that carries the token deltas of the run a TurnStarted names: its own when
 * it has a run id, else (events recorded before run ids) the attempt's.
 */
export const turnChannel = (
  chatId: string,
  start: { readonly turnId: string; readonly attempt: number; readonly runId?: string | undefined },
) =>
  start.runId === undefined
    ? `turn.${chatId}.${start.turnId}.${start.attempt}`
    : `turn.${chatId}.${start.turnId}.run-${start.runId}`;
