/** A fork's copied turns are history in a what-if replay, not turns of its own (counted with the original). */
import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { FORK_COPY } from '../../src/events/fork-copies.js';
import { recordedChat } from '../../src/runtime/whatif/recorded-turns.js';

let revision = 0n;
function event(type: string, data: Record<string, unknown>, copied: boolean): RecordedEvent {
  const base = { correlationId: 'c', causationId: 'c', actor: 'u', version: 1 };
  const metadata = copied ? { ...base, [FORK_COPY]: 'original-chat' } : base;
  revision += 1n;
  return {
    id: `e${revision}`,
    type,
    data,
    metadata,
    streamName: 'chat-fork',
    revision,
    position: revision,
    createdAt: new Date(0),
  };
}

function turn(turnId: string, user: string, answer: string, copied: boolean): RecordedEvent[] {
  const at = '2026-01-01T00:00:00.000Z';
  return [
    event('UserMessagePosted', { messageId: `${turnId}-u`, turnId, content: user, at }, copied),
    event(
      'AssistantMessageCompleted',
      {
        messageId: `${turnId}-a`,
        turnId,
        attempt: 1,
        content: answer,
        toolCalls: [],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        model: 'm',
        agentVersion: 1,
        finishReason: 'stop',
        at,
      },
      copied,
    ),
  ];
}

describe('what-if over a fork', () => {
  it("replays only the fork's own turns, with the copied ones as their history", () => {
    const created = event(
      'ChatCreated',
      { chatId: 'fork', userId: 'u', agent: { namespace: 'ns', name: 'a' }, initialMessages: [] },
      true,
    );
    const events = [created, ...turn('t1', 'first', 'one', true), ...turn('t2', 'second', 'two', false)];
    const chat = recordedChat(events)!;
    expect(chat.turns.map((t) => [t.turnId, t.index, t.user, t.answer])).to.deep.equal([
      ['t2', 0, 'second', 'two'],
    ]);
    const history = chat.turns[0]!.history.map((e) => (e.data as { content?: string }).content ?? e.type);
    expect(history).to.deep.equal(['ChatCreated', 'first', 'one', 'second']);
  });

  it('replays every turn of a chat that is no fork', () => {
    const created = event(
      'ChatCreated',
      { chatId: 'c', userId: 'u', agent: { namespace: 'ns', name: 'a' }, initialMessages: [] },
      false,
    );
    const chat = recordedChat([created, ...turn('t1', 'a', 'b', false), ...turn('t2', 'c', 'd', false)])!;
    expect(chat.turns.map((t) => t.turnId)).to.deep.equal(['t1', 't2']);
  });
});
