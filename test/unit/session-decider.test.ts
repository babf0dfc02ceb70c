import { sessionDecider, type SessionEvent } from '../../src/commands/session/session-decider.js';
import { asChatId, asUserId } from '../../src/events/ids.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(sessionDecider);
const at = '2026-01-01T00:00:00.000Z';
const bound = (chatId: string, reset = false): SessionEvent => ({
  type: 'SessionBound',
  data: { chatId, userId: 'u1', reset, at },
});
const bind = (chatId: string, o: { reset?: boolean; userId?: string } = {}) =>
  ({
    type: 'BindSession',
    chatId: asChatId(chatId),
    userId: asUserId(o.userId ?? 'u1'),
    reset: o.reset ?? false,
    at,
  }) as const;

describe('session decider', () => {
  it('the first bind wins: the session names its chat', () =>
    given([])
      .when(bind('c1'))
      .then([bound('c1')]));
  it('a reset on a new session binds it too', () =>
    given([])
      .when(bind('c1', { reset: true }))
      .then([bound('c1', true)]));
  it("a later bind by the session's user keeps the chat it has (no event)", () =>
    given([bound('c1')])
      .when(bind('c2'))
      .then([]));
  it("a reset by the session's user moves it to a new chat", () =>
    given([bound('c1')])
      .when(bind('c2', { reset: true }))
      .then([bound('c2', true)]));
  it("another user may not use (or reset) someone's session, naming session_key", () => {
    given([bound('c1')])
      .when(bind('c2', { userId: 'u2' }))
      .thenRefuses('forbidden', 'session_key');
    given([bound('c1')])
      .when(bind('c2', { userId: 'u2', reset: true }))
      .thenRefuses('forbidden', 'session_key');
  });
});
