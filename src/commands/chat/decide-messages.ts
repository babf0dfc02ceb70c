/**
 * The chat decider's answers to what people (and hooks) say: create the chat, post a message (its
 * turn follows the agent's message policy when another turn runs), rewrite or revise a message,
 * rename, archive. One small function per command.
 */
import { IllegalStateError, ValidationError } from '../../errors.js';
import type { ChatEvent } from '../../events/chat-events.js';
import type {
  ChangeTitle,
  CreateChat,
  ForkChat,
  PostUserMessage,
  ReviseAssistantMessage,
  RewriteUserMessage,
  SetArchived,
} from './chat-commands.js';
import { cancelLinks, subTurnEnded, type ChatState, type OpenChat } from './chat-state.js';

export function createChat(command: CreateChat, state: ChatState): readonly ChatEvent[] {
  if (state.status !== 'absent') throw new IllegalStateError('chat already exists');
  const { type: _t, ...data } = command;
  return [{ type: 'ChatCreated', data }];
}

/** the fork's stream: its creation, then the history copied from the original */
export function forkChat(command: ForkChat, state: ChatState): readonly ChatEvent[] {
  if (state.status !== 'absent') throw new IllegalStateError('chat already exists');
  return [{ type: 'ChatCreated', data: command.created }, ...command.history];
}

/** enqueue: the turn waits its go; reject: refused while one runs; interrupt: the pending ones are cancelled */
export function postUserMessage(command: PostUserMessage, s: OpenChat): readonly ChatEvent[] {
  if (command.content.trim() === '' && !command.parts?.length)
    throw new ValidationError('content: must not be empty', 'content');
  const { messageId, turnId, content, parts, caller, at } = command;
  const posted: ChatEvent = {
    type: 'UserMessagePosted',
    data: {
      messageId,
      turnId,
      content,
      ...(parts?.length ? { parts } : {}),
      ...(caller ? { caller } : {}),
      at,
    },
  };
  if (s.pending.length === 0 || command.policy === 'enqueue') return [posted];
  if (command.policy === 'reject')
    throw new IllegalStateError('a turn is running; wait for it or cancel it', 'content');
  const cancelled = s.pending.flatMap((t): ChatEvent[] => [
    { type: 'TurnCancelled', data: { turnId: t.turnId, by: command.by, ...cancelLinks(t), at } },
    ...subTurnEnded(t, at),
  ]);
  return [...cancelled, posted];
}

export function rewriteUserMessage(command: RewriteUserMessage, s: OpenChat): readonly ChatEvent[] {
  const turn = s.pending.find((t) => t.turnId === command.turnId);
  if (!turn) throw new IllegalStateError(`turn ${command.turnId} has ended`);
  const { type: _t, ...rest } = command;
  return [{ type: 'UserMessageRewritten', data: { ...rest, messageId: turn.messageId } }];
}

export function reviseAssistantMessage(command: ReviseAssistantMessage): readonly ChatEvent[] {
  const { type: _t, ...data } = command;
  return [{ type: 'AssistantMessageRevised', data }];
}

export function changeTitle(command: ChangeTitle, s: OpenChat): readonly ChatEvent[] {
  if (command.title === s.title) return [];
  return [{ type: 'ChatTitleChanged', data: { title: command.title, at: command.at } }];
}

/**
 * Archiving is the chat's delete (reference: soft). A sub-chat deleted while a parent waits on one
 * of its turns answers that parent no more: those turns are cancelled as deleted, so each parent's
 * call gets "sub-chat deleted" and its turn goes on. Other turns run on, as in any archived chat.
 */
export function setArchived(command: SetArchived, s: OpenChat): readonly ChatEvent[] {
  if (command.archived === s.archived) return [];
  const { at, by } = command;
  if (!command.archived) return [{ type: 'ChatUnarchived', data: { at } }];
  const called = s.pending.filter((t) => t.caller);
  return [
    { type: 'ChatArchived', data: { at } },
    ...called.flatMap((t): ChatEvent[] => [
      { type: 'TurnCancelled', data: { turnId: t.turnId, by, ...cancelLinks(t), reason: 'deleted', at } },
      ...subTurnEnded(t, at),
    ]),
  ];
}
