/** Where a turn stands for those who wait on it, read from the chat decider's own fold. */
import { expect } from 'chai';
import { TurnWatch } from '../../src/commands/chat/turn-watch.js';
import type { ChatEvent, ToolCallPlan } from '../../src/events/chat-events.js';

const at = '2026-01-01T00:00:00.000Z';
const plan = (id: string): ToolCallPlan =>
  ({
    id,
    name: `f_${id}`,
    arguments: {},
    function: { namespace: 'ns', name: id },
  }) as unknown as ToolCallPlan;
const reply = (turnId: string, calls: ToolCallPlan[]): ChatEvent =>
  ({
    type: 'AssistantMessageCompleted',
    data: {
      turnId,
      messageId: 'm',
      content: 'hi',
      toolCalls: [],
      usage: {},
      model: 'x',
      agentVersion: 1,
      at,
      ...(calls.length ? { endsTurn: false, calls } : {}),
    },
  }) as unknown as ChatEvent;
const ev = (type: string, data: object) => ({ type, data: { at, ...data } });

describe('turn watch', () => {
  it('ends at the reply that ends the turn, ignoring other turns', () => {
    const w = new TurnWatch('t1');
    expect(w.see(ev('TurnStarted', { turnId: 't1', attempt: 1 }))).to.equal(undefined);
    expect(w.see(reply('t2', []))).to.equal(undefined);
    expect(w.see(reply('t1', []))?.kind).to.equal('ended');
  });

  it('waits for people once every open call awaits approval, and goes on when one is decided', () => {
    const w = new TurnWatch('t1');
    w.see(ev('TurnStarted', { turnId: 't1', attempt: 1 }));
    expect(w.see(reply('t1', [plan('a'), plan('b')]))).to.equal(undefined);
    expect(w.see(ev('ToolApprovalRequested', { turnId: 't1', toolCallId: 'a' }))).to.equal(undefined);
    const stop = w.see(ev('ToolApprovalRequested', { turnId: 't1', toolCallId: 'b' }));
    expect(stop?.kind).to.equal('awaiting_approval');
    expect(stop?.kind === 'awaiting_approval' && stop.pending.map((p) => p.id)).to.deep.equal(['a', 'b']);
    expect(w.plan('a')?.name).to.equal('f_a');
    expect(w.see(ev('ToolApprovalDecided', { turnId: 't1', toolCallId: 'a' }))).to.equal(undefined);
    expect(w.see(ev('TurnCancelled', { turnId: 't1' }))?.kind).to.equal('ended');
  });

  it('says nothing more once the turn ended', () => {
    const w = new TurnWatch('t1');
    w.see(ev('TurnFailed', { turnId: 't1', attempt: 1, error: 'x' }));
    expect(w.see(reply('t1', []))).to.equal(undefined);
  });
});
