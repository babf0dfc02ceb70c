/**
 * What a fork holds (issue 18 item 2): the original chat's events up to the last turn boundary at
 * or before the revision asked for, copied into the fork's own stream. A fork never holds half a
 * turn (a model round without its tool results, a call waiting for approval): a revision inside a
 * turn cuts back to where the last turn before it ended (or to the chat's creation). Each message
 * and turn gets a new id derived from the fork's id (the read model keys them globally); tool call
 * ids stay, so the model sees the same history the original's next turn would have seen. Pure.
 */
import { ValidationError } from '../../errors.js';
import { endsTurn, type ChatCreatedData, type ChatEvent, type ForkOrigin } from '../../events/chat-events.js';
import { stableUuid } from '../../events/ids.js';

/** An event as the original's stream holds it. */
export interface SourceEvent {
  readonly type: string;
  readonly data: unknown;
}

export interface ForkPlan {
  readonly created: ChatCreatedData;
  readonly history: readonly ChatEvent[];
  readonly origin: ForkOrigin;
}

/** Not the fork's to carry: it starts unarchived, and a parent's call is not its business. */
const LEFT_OUT = new Set(['ChatArchived', 'ChatUnarchived', 'SubTurnEnded']);

/** The last revision at or before `at` where no turn is open; `at` beyond the head is a 400. */
export function forkBoundary(events: readonly SourceEvent[], at: number): number {
  const head = events.length - 1;
  if (!Number.isSafeInteger(at) || at < 0 || at > head)
    throw new ValidationError(`at: must be a revision of the chat, from 0 to ${head}`, 'at');
  const open = new Set<string>();
  let boundary = 0;
  for (let r = 0; r <= at; r++) {
    const e = events[r]!;
    const turnId = (e.data as { turnId?: string }).turnId;
    if (e.type === 'UserMessagePosted' && turnId) open.add(turnId);
    else if (turnId && endsTurn(e.type, e.data)) open.delete(turnId);
    if (open.size === 0) boundary = r;
  }
  return boundary;
}

/** The fork's first event and the history it copies, for `forkId` owned by `userId`. */
export function planFork(
  events: readonly SourceEvent[],
  at: number,
  fork: { readonly chatId: string; readonly userId: string; readonly at: string },
): ForkPlan {
  const first = events[0];
  if (first?.type !== 'ChatCreated') throw new ValidationError('at: the chat has no beginning', 'at');
  const revision = forkBoundary(events, at);
  const id = (old: string) => stableUuid(`fork:${fork.chatId}:${old}`);
  const original = first.data as ChatCreatedData;
  const origin: ForkOrigin = { chatId: original.chatId, revision, requested: at };
  const { parent: _parent, forkedFrom: _earlier, ...kept } = original;
  const created: ChatCreatedData = {
    ...kept,
    chatId: fork.chatId,
    userId: fork.userId,
    sessionKey: null,
    expiresAt: null,
    initialMessages: original.initialMessages.map((m) => ({ ...m, messageId: id(m.messageId) })),
    forkedFrom: origin,
    at: fork.at,
  };
  const history = events
    .slice(1, revision + 1)
    .filter((e) => !LEFT_OUT.has(e.type))
    .map((e) => copied(e, id));
  return { created, history, origin };
}

/** The event with its message and turn ids renamed, and no link to a parent chat or sub-chats. */
function copied(e: SourceEvent, id: (old: string) => string): ChatEvent {
  const { caller: _caller, subChats: _subChats, ...data } = e.data as Record<string, unknown>;
  if (typeof data.messageId === 'string') data.messageId = id(data.messageId);
  if (typeof data.turnId === 'string') data.turnId = id(data.turnId);
  return { type: e.type, data } as unknown as ChatEvent;
}
