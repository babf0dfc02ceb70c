/**
 * What a request that waited for a turn answers when the turn did not simply complete: a wait past
 * its limit is a 504 (the turn goes on), a failed turn a 502 naming the reason, a cancelled one 409.
 */
import { IllegalStateError } from '../errors.js';
import type { TurnStop } from '../commands/chat/turn-watch.js';
import type { ChatEvent } from '../events/chat-events.js';
import type { RecordedEvent } from '../events/event-store.js';
import type { TurnOutcome } from '../runtime/turns/turn-waiter.js';
import { HttpProblem } from './problem.js';

export type Reply = Extract<ChatEvent, { type: 'AssistantMessageCompleted' }>['data'];

/** The turn's stop; a timed-out wait is a 504 that points at the chat. */
export function stopped(outcome: TurnOutcome, chatId: string): TurnStop<RecordedEvent> {
  if (outcome.kind !== 'timed_out') return outcome;
  throw new HttpProblem({
    title: 'Agent execution timed out',
    status: 504,
    detail: `no reply within ${outcome.timeoutMs} ms; the turn goes on, see GET /chats/${chatId}`,
  });
}

/** The reply a finished turn produced; a failed turn is a 502 naming the reason, a cancelled one a 409. */
export function completedReply(end: { readonly type: string; readonly data: unknown }): Reply {
  const ev = { type: end.type, data: end.data } as ChatEvent;
  if (ev.type === 'AssistantMessageCompleted') return ev.data;
  if (ev.type === 'TurnFailed') {
    throw new HttpProblem({
      title: 'The model failed',
      status: 502,
      detail: ev.data.error,
      code: 'turn_failed',
    });
  }
  throw new IllegalStateError('the turn was cancelled');
}
