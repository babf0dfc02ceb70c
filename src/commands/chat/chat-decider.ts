/**
 * The chat aggregate: messages and turns. A turn is requested by a user message, started (maybe
 * more than once, if a worker died), and ends completed, failed or cancelled. Turns run one at a
 * time, in order; a message sent while one runs follows the agent's policy (enqueue by default).
 * `decide` only dispatches: each command has its own small function (decide-*.ts).
 */
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ChatEvent } from '../../events/chat-events.js';
import type { Decider } from '../decider.js';
import type { ChatCommand } from './chat-commands.js';
import { evolveChat, type ChatState } from './chat-state.js';
import {
  changeTitle,
  createChat,
  forkChat,
  postUserMessage,
  reviseAssistantMessage,
  rewriteUserMessage,
  setArchived,
} from './decide-messages.js';
import { decideApproval, completeToolCall, startToolCall } from './decide-tool-calls.js';
import { cancelTurn, completeTurn, failTurn, startTurn } from './decide-turns.js';

export type { ChatCommand, MessagePolicy } from './chat-commands.js';
export type { ChatState, OpenChat, OpenToolCall, Turn } from './chat-state.js';

export function decideChat(command: ChatCommand, state: ChatState): readonly ChatEvent[] {
  if (command.type === 'CreateChat') return createChat(command, state);
  if (command.type === 'ForkChat') return forkChat(command, state);
  if (state.status === 'absent') throw new NotFoundError('chat not found');
  switch (command.type) {
    case 'PostUserMessage':
      return postUserMessage(command, state);
    case 'StartTurn':
      return startTurn(command, state);
    case 'CompleteTurn':
      return completeTurn(command, state);
    case 'RewriteUserMessage':
      return rewriteUserMessage(command, state);
    case 'ReviseAssistantMessage':
      return reviseAssistantMessage(command);
    case 'DecideApproval':
      return decideApproval(command, state);
    case 'StartToolCall':
      return startToolCall(command, state);
    case 'CompleteToolCall':
      return completeToolCall(command, state);
    case 'FailTurn':
      return failTurn(command, state);
    case 'CancelTurn':
      return cancelTurn(command, state);
    case 'ChangeTitle':
      return changeTitle(command, state);
    case 'SetArchived':
      return setArchived(command, state);
    default: {
      const unreachable: never = command;
      throw new ValidationError(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

export const chatDecider: Decider<ChatCommand, ChatEvent, ChatState> = {
  initialState: { status: 'absent' },
  eventVersion: 2, // 2: the versions its events name count from 1 (events/version-upcasts.ts)
  decide: decideChat,
  evolve: evolveChat,
};
