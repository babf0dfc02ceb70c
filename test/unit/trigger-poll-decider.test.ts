import { expect } from 'chai';
import { fold } from '../../src/commands/decider.js';
import {
  statusOf,
  triggerPollDecider,
  type TriggerPollCommand,
} from '../../src/commands/database-trigger/trigger-poll-decider.js';
import { IllegalStateError } from '../../src/errors.js';
import type { TriggerPollEvent } from '../../src/events/database-trigger-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(triggerPollDecider);
const at = '2026-01-01T00:00:00.000Z';
const rows = [{ id: 1 }, { id: 2 }];
const claimCmd = (
  fromValue: string | null,
  lastPollValue: string,
  executionId = 'x1',
): TriggerPollCommand => ({
  type: 'ClaimBatch',
  triggerId: 't',
  executionId,
  fromValue,
  lastPollValue,
  rows,
  at,
});
/** the events a command decides on `history`, as they are appended */
const decided = (history: readonly TriggerPollEvent[], c: TriggerPollCommand) =>
  triggerPollDecider.decide(c, fold(triggerPollDecider, history));
const claimed = (history: readonly TriggerPollEvent[], from: string | null, last: string) =>
  decided(history, claimCmd(from, last));
const settle = (seq: number, error: string | null = null): TriggerPollCommand => ({
  type: 'SettleBatch',
  triggerId: 't',
  seq,
  status: error ? 'FAILED' : 'COMPLETED',
  error,
  at,
});
const pollFailure: TriggerPollCommand = { type: 'RecordPollFailure', triggerId: 't', error: 'no column', at };
const pollSuccess: TriggerPollCommand = { type: 'RecordPollSuccess', triggerId: 't', at };
const stateOf = (events: readonly TriggerPollEvent[]) => statusOf(fold(triggerPollDecider, events));

describe('trigger poll decider', () => {
  it('claims the first batch with its new last_poll_value, and every event carries the status it leaves', () => {
    const [e] = claimed([], null, '2');
    expect(e!.type).to.equal('DatabaseTriggerBatchClaimed');
    expect(e!.data).to.deep.include({
      seq: 1,
      count: 2,
      fromValue: null,
      lastPollValue: '2',
      executionId: 'x1',
    });
    expect(e!.data.after).to.deep.equal({
      batches: 1,
      rows: 2,
      lastPollValue: '2',
      pendingBatch: 1,
      error: null,
      lastError: null,
    });
  });

  it('refuses a claim while the previous batch has not settled', () => {
    const one = claimed([], null, '2');
    given(one)
      .when(claimCmd('2', '4'))
      .thenThrows(IllegalStateError, /has not settled/);
  });

  it('refuses a claim polled after an older last_poll_value: another worker claimed first', () => {
    const one = claimed([], null, '2');
    const history = [...one, ...decided(one, settle(1))];
    given(history)
      .when(claimCmd(null, '2'))
      .thenThrows(IllegalStateError, /another worker/);
    expect(claimed(history, '2', '4')[0]!.data).to.deep.include({ seq: 2, fromValue: '2' });
  });

  it('settles a batch once: a second settle (another worker) writes nothing', () => {
    const one = claimed([], null, '2');
    const history = [...one, ...decided(one, settle(1))];
    given(history).when(settle(1)).then([]);
    expect(stateOf(history).pendingBatch).to.equal(null);
  });

  it('records a poll error once while it stays the same, and clears it on the next successful poll', () => {
    const failed = decided([], pollFailure);
    expect(failed).to.have.length(1);
    given(failed).when(pollFailure).then([]);
    const recovered = [...failed, ...decided(failed, pollSuccess)];
    expect(recovered.at(-1)!.type).to.equal('DatabaseTriggerPollRecovered');
    expect(stateOf(recovered).error).to.equal(null);
    expect(stateOf(recovered).lastError).to.deep.include({ message: 'no column', source: 'poll' });
    given(recovered).when(pollSuccess).then([]);
  });

  it("keeps a failed batch's error until a batch completes; a poll success does not clear it", () => {
    const one = claimed([], null, '2');
    const failed = [...one, ...decided(one, settle(1, 'FAILED: boom'))];
    expect(stateOf(failed).error).to.deep.include({ message: 'batch 1: FAILED: boom', source: 'function' });
    given(failed).when(pollSuccess).then([]);
    const two = [...failed, ...claimed(failed, '2', '4')];
    const fixed = [...two, ...decided(two, settle(2))];
    expect(stateOf(fixed)).to.deep.include({ error: null, batches: 2, rows: 4, lastPollValue: '4' });
    expect(stateOf(fixed).lastError).to.deep.include({ source: 'function' });
  });

  it('folds a truncated stream from any event to the state of the whole stream (its status rides on each event)', () => {
    let history: TriggerPollEvent[] = [];
    const add = (c: TriggerPollCommand) => (history = [...history, ...decided(history, c)]);
    add(claimCmd(null, '2', 'x1'));
    add(settle(1, 'FAILED: boom'));
    add(pollFailure);
    add(pollSuccess);
    add(claimCmd('2', '4', 'x2'));
    add(settle(2));
    add(claimCmd('4', '6', 'x3'));
    const whole = fold(triggerPollDecider, history);
    for (let from = 1; from < history.length; from++)
      expect(fold(triggerPollDecider, history.slice(from)), `from event ${from}`).to.deep.equal(whole);
    given(history.slice(-1)).when(claimCmd('4', '8')).thenThrows(IllegalStateError);
  });
});
