/**
 * Invoke sessions (reference §3.7): one chat per (agent, session key), kept race-free by the event
 * store — the first append to `session-<ns>/<name>/<key>` wins, everyone else reads its chat id.
 */
import { ForbiddenError, ValidationError } from '../../errors.js';
import type { ChatId, UserId } from '../../events/ids.js';
import { asChatId, asUserId } from '../../events/ids.js';
import type { Decider } from '../decider.js';

export type SessionEvent = {
  readonly type: 'SessionBound';
  readonly data: {
    readonly chatId: string;
    readonly userId: string;
    readonly reset: boolean;
    readonly at: string;
  };
};

export type SessionCommand = {
  readonly type: 'BindSession';
  readonly chatId: ChatId;
  readonly userId: UserId;
  /** replace the current chat (reset) instead of keeping it */
  readonly reset: boolean;
  readonly at: string;
};

export type SessionState =
  | { readonly status: 'unbound' }
  | { readonly status: 'bound'; readonly chatId: ChatId; readonly userId: UserId };

export const sessionDecider: Decider<SessionCommand, SessionEvent, SessionState> = {
  initialState: { status: 'unbound' },
  decide(c, s) {
    switch (c.type) {
      case 'BindSession':
        return bindSession(c, s);
      default: {
        const unreachable: never = c.type;
        throw new ValidationError(`unknown command ${String(unreachable)}`);
      }
    }
  },
  evolve(_s, e) {
    return { status: 'bound', chatId: asChatId(e.data.chatId), userId: asUserId(e.data.userId) };
  },
};

/** The first bind wins; its user may keep the chat (no event) or reset to a new one; no one else may. */
function bindSession(c: SessionCommand, s: SessionState): readonly SessionEvent[] {
  if (s.status === 'bound') {
    if (s.userId !== c.userId) throw new ForbiddenError('not authorized to use this session', 'session_key');
    if (!c.reset) return [];
  }
  return [{ type: 'SessionBound', data: { chatId: c.chatId, userId: c.userId, reset: c.reset, at: c.at } }];
}
