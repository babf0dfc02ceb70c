import { expect } from 'chai';
import { fold } from '../../src/commands/decider.js';
import { executionDecider, type ExecutionCommand } from '../../src/commands/execution/execution-decider.js';
import { IllegalStateError } from '../../src/errors.js';
import type { ExecutionEvent, ExecutionRequestedData } from '../../src/events/execution-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(executionDecider);
const at = '2026-01-01T00:00:00.000Z';
const request: ExecutionRequestedData = {
  executionId: 'e1',
  function: { namespace: 'ns', name: 'f', id: 'f1', version: 1 },
  userId: 'u1',
  userEmail: null,
  input: {},
  triggerType: 'API',
  triggerId: 'runtime-api',
  chatId: null,
  toolCallId: null,
  timeoutMs: 1000,
  sharedPool: false,
  at,
};
const report = { stdout: '', stderr: '', logs: [], containerId: null, durationMs: 1 };
const requested: ExecutionEvent = { type: 'ExecutionRequested', data: request };
const started = (run: number): ExecutionEvent => ({
  type: 'ExecutionStarted',
  data: { run, worker: 'w', at },
});
const paused = (run: number): ExecutionEvent => ({
  type: 'ExecutionAwaitingInput',
  data: { ...report, run, prompt: `q${run}`, at },
});
const end = (run: number, outcome: 'completed' | 'awaiting_input'): ExecutionCommand =>
  outcome === 'completed'
    ? { type: 'EndRun', ...report, run, outcome, output: 1, at }
    : { type: 'EndRun', ...report, run, outcome, prompt: `q${run}`, at };

describe('execution decider', () => {
  it('starts run 1 of a requested execution', () =>
    given([requested])
      .when({ type: 'StartRun', worker: 'w', at })
      .then([started(1)]));

  it('never starts a run twice: a started run must end first', () =>
    given([requested, started(1)])
      .when({ type: 'StartRun', worker: 'w2', at })
      .thenThrows(IllegalStateError));

  it('refuses an outcome from a run that is not the running one (a stale worker)', () =>
    given([requested, started(1), paused(1)])
      .when(end(1, 'completed'))
      .thenThrows(IllegalStateError, /run 1/));

  it('a resume records the answer for the next run, which re-runs with every answer so far', () => {
    const resumed: ExecutionEvent = { type: 'ExecutionResumed', data: { answer: 'a', run: 2, by: 'u1', at } };
    given([requested, started(1), paused(1)])
      .when({ type: 'Resume', answer: 'a', by: 'u1', at })
      .then([resumed]);
    const s = fold(executionDecider, [requested, started(1), paused(1), resumed, started(2), paused(2)]);
    const again = { type: 'ExecutionResumed' as const, data: { answer: 'b', run: 3, by: 'u1', at } };
    const after = executionDecider.evolve(s, again);
    expect(after).to.include({ status: 'PENDING', runs: 2 });
    expect((after as { answers: readonly unknown[] }).answers).to.deep.equal(['a', 'b']);
  });

  it('refuses to continue an execution that is not paused', () =>
    given([requested, started(1)])
      .when({ type: 'Resume', answer: 1, by: 'u1', at })
      .thenThrows(IllegalStateError, /AWAITING_INPUT/));

  it('a run abandoned by a dead worker fails with the reason; cancelling an ended one is refused', () => {
    given([requested, started(1)])
      .when({ type: 'AbandonRun', run: 1, reason: 'gone', at })
      .then([{ type: 'ExecutionFailed', data: { run: 1, error: 'gone', traceback: null, at } }]);
    given([requested, started(1), { type: 'ExecutionCompleted', data: { ...report, run: 1, output: 1, at } }])
      .when({ type: 'Cancel', by: 'u1', at })
      .thenThrows(IllegalStateError, /already ended/);
  });
});
