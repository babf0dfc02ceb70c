/** What happens in a chat (stream `chat-<id>`). Past tense, one union (CONVENTIONS). */
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
  readonly at: string;
}

export type ChatEvent =
  | { readonly type: 'ChatCreated'; readonly data: ChatCreatedData }
  | {
      readonly type: 'UserMessagePosted';
      readonly data: {
        readonly messageId: string;
        readonly turnId: string;
        readonly content: string;
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
        readonly at: string;
      };
    }
  | {
      readonly type: 'AssistantMessageCompleted';
      readonly data: {
        readonly messageId: string;
        readonly turnId: string;
        readonly attempt: number;
        readonly content: string;
        readonly toolCalls: readonly ToolCallData[];
        readonly usage: UsageData;
        readonly model: string;
        readonly agentVersion: number;
        readonly finishReason: string;
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
      readonly data: { readonly turnId: string; readonly by: string; readonly at: string };
    }
  | { readonly type: 'ChatTitleChanged'; readonly data: { readonly title: string; readonly at: string } }
  | { readonly type: 'ChatArchived'; readonly data: { readonly at: string } }
  | { readonly type: 'ChatUnarchived'; readonly data: { readonly at: string } };

export type ChatEventType = ChatEvent['type'];

export const CHAT_EVENT_TYPES: readonly ChatEventType[] = [
  'ChatCreated',
  'UserMessagePosted',
  'TurnStarted',
  'AssistantMessageCompleted',
  'TurnFailed',
  'TurnCancelled',
  'ChatTitleChanged',
  'ChatArchived',
  'ChatUnarchived',
];

/** The live-bus channel that carries one turn attempt's token deltas. */
export const turnChannel = (chatId: string, turnId: string, attempt: number) =>
  `turn.${chatId}.${turnId}.${attempt}`;
