/**
 * The chat aggregate: messages and turns. A turn is requested by a user message, started (maybe
 * more than once, if a worker died), and ends completed, failed or cancelled. Turns run one at a
 * time, in order; a message sent while one runs follows the agent's policy (enqueue by default).
 */
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors.js';
import type {
  AgentRef,
  ChatCreatedData,
  ChatEvent,
  ToolCallData,
  UsageData,
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
      readonly at: string;
    }
  | {
      readonly type: 'CompleteTurn';
      readonly turnId: string;
      readonly attempt: number;
      readonly messageId: string;
      readonly content: string;
      readonly toolCalls: readonly ToolCallData[];
      readonly usage: UsageData;
      readonly model: string;
      readonly agentVersion: number;
      readonly finishReason: string;
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

export interface Turn {
  readonly turnId: string;
  /** 0 until a worker starts it; then the latest attempt */
  readonly attempt: number;
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
      readonly title: string;
      readonly archived: boolean;
      /** turns not yet ended, oldest first; the first is the one that runs */
      readonly pending: readonly Turn[];
    };

type Open = Extract<ChatState, { status: 'open' }>;

const at = (c: { at: string }) => c.at;

export const chatDecider: Decider<ChatCommand, ChatEvent, ChatState> = {
  initialState: { status: 'absent' },
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
      const { type: _t, ...rest } = command;
      return [{ type: 'TurnStarted', data: { ...rest, attempt: head.attempt + 1 } }];
    }
    case 'CompleteTurn': {
      checkRunning(head, command);
      const { type: _t, ...data } = command;
      return [{ type: 'AssistantMessageCompleted', data }];
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

/** Only the latest attempt of the running turn may end it: a stale worker's result is refused. */
function checkRunning(head: Turn | undefined, c: { turnId: string; attempt: number }): void {
  if (head?.turnId !== c.turnId || head.attempt !== c.attempt) {
    throw new IllegalStateError(`turn ${c.turnId} attempt ${c.attempt} is not the running one`);
  }
}

function evolveOpen(s: Open, event: Exclude<ChatEvent, { type: 'ChatCreated' }>): ChatState {
  switch (event.type) {
    case 'UserMessagePosted':
      return { ...s, pending: [...s.pending, { turnId: event.data.turnId, attempt: 0 }] };
    case 'TurnStarted':
      return {
        ...s,
        pending: s.pending.map((t) =>
          t.turnId === event.data.turnId ? { ...t, attempt: event.data.attempt } : t,
        ),
      };
    case 'AssistantMessageCompleted':
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
