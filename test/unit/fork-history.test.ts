/**
 * What a fork copies (fork-history.ts): the history up to the last turn boundary at or before `at`,
 * messages and turns renamed, no parent or sub-chat links; and how `sinas replay` shows the links.
 */
import { expect } from 'chai';
import { describe as describeEvent } from '../../src/cli/replay.js';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { forkBoundary, planFork, type SourceEvent } from '../../src/commands/chat/fork-history.js';

const created: SourceEvent = {
  type: 'ChatCreated',
  data: {
    chatId: 'c0',
    userId: 'u-owner',
    agent: { namespace: 'a', name: 'b', id: 'x' },
    agentVersion: 1,
    title: 't',
    input: {},
    sessionKey: 'k',
    expiresAt: '2030-01-01T00:00:00.000Z',
    initialMessages: [{ messageId: 'm0', role: 'assistant', content: 'hi' }],
    parent: { chatId: 'p', path: [] },
    at: 'then',
  },
};
const chat: SourceEvent[] = [
  created,
  {
    type: 'UserMessagePosted',
    data: { messageId: 'm1', turnId: 't1', content: 'q', caller: { chatId: 'p' } },
  },
  { type: 'TurnStarted', data: { turnId: 't1', attempt: 1 } },
  {
    type: 'AssistantMessageCompleted',
    data: { messageId: 'm2', turnId: 't1', endsTurn: false, toolCalls: [] },
  },
  { type: 'ToolCallCompleted', data: { turnId: 't1', toolCallId: 'call_1' } },
  { type: 'AssistantMessageCompleted', data: { messageId: 'm3', turnId: 't1', toolCalls: [] } },
  { type: 'SubTurnEnded', data: { turnId: 't1', caller: { chatId: 'p' } } },
  { type: 'ChatArchived', data: { at: 'x' } },
  { type: 'UserMessagePosted', data: { messageId: 'm4', turnId: 't2', content: 'r' } },
];
const fork = { chatId: 'f0', userId: 'u-forker', at: 'now' };

describe('fork history', () => {
  it('cuts a revision inside a turn back to the last boundary', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((at) => forkBoundary(chat, at))).to.deep.equal([
      0, 0, 0, 0, 0, 5, 6, 7, 7,
    ]);
  });

  it('refuses `at` beyond the head or negative, naming it', () => {
    for (const at of [9, -1, 0.5])
      expect(() => forkBoundary(chat, at))
        .to.throw('at: must be a revision of the chat, from 0 to 8')
        .with.property('field', 'at');
  });

  it('copies renamed messages and turns, owned by the forker, with no parent, session or expiry', () => {
    const plan = planFork(chat, 8, fork);
    expect(plan.origin).to.deep.equal({ chatId: 'c0', revision: 7, requested: 8 });
    expect(plan.created).to.include({ chatId: 'f0', userId: 'u-forker', sessionKey: null, expiresAt: null });
    expect(plan.created).to.not.have.property('parent');
    expect(plan.history.map((e) => e.type)).to.deep.equal([
      'UserMessagePosted',
      'TurnStarted',
      'AssistantMessageCompleted',
      'ToolCallCompleted',
      'AssistantMessageCompleted',
    ]);
    const posted = plan.history[0]!.data as Record<string, unknown>;
    expect(posted).to.not.have.property('caller');
    expect(posted.messageId).to.not.equal('m1');
    expect(plan.history[1]!.data).to.have.property('turnId', posted.turnId);
    expect(plan.history[3]!.data).to.have.property('toolCallId', 'call_1');
    expect(plan.created.initialMessages[0]!.messageId).to.not.equal('m0');
    // the same fork id renames the same way: a retried fork writes the same events
    expect(planFork(chat, 8, fork).history).to.deep.equal(plan.history);
  });

  it('`sinas replay` shows both ends of the link', () => {
    const recorded = (e: SourceEvent, streamName: string) =>
      ({ ...e, streamName }) as unknown as RecordedEvent;
    const plan = planFork(chat, 5, fork);
    expect(describeEvent(recorded({ type: 'ChatCreated', data: plan.created }, 'chat-f0'))[2]).to.contain(
      'forked from c0 at 5',
    );
    const link = { type: 'ChatForked', data: { forkId: 'f0', revision: 5, userId: 'u-forker' } };
    expect(describeEvent(recorded(link, 'chatforks-c0'))[2]).to.equal('forked to f0 at 5 by u-forker');
  });
});
