/**
 * The execution aggregate. A run starts only from `pending` (requested, or resumed after a pause)
 * and only the started run may end it, so a duplicate job or a stale worker changes nothing.
 * Answers to `input()` accumulate; each resume makes the next run re-run the handler with them.
 */
import { IllegalStateError, NotFoundError } from '../../errors.js';
import type { ExecutionEvent, ExecutionRequestedData, RunReport } from '../../events/execution-events.js';
import type { Decider } from '../decider.js';

export type ExecutionStatus =
  'PENDING' | 'RUNNING' | 'AWAITING_INPUT' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

export const TERMINAL: readonly ExecutionStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

export type ExecutionCommand =
  | ({ readonly type: 'RequestExecution' } & ExecutionRequestedData)
  | { readonly type: 'StartRun'; readonly worker: string; readonly at: string }
  | ({
      readonly type: 'EndRun';
      readonly at: string;
    } & RunReport &
      (
        | { readonly outcome: 'completed'; readonly output: unknown }
        | { readonly outcome: 'awaiting_input'; readonly prompt: string }
        | { readonly outcome: 'failed'; readonly error: string; readonly traceback: string | null }
        | { readonly outcome: 'timed_out'; readonly error: string }
      ))
  /** the run that started never reported (its worker or container died) */
  | { readonly type: 'AbandonRun'; readonly run: number; readonly reason: string; readonly at: string }
  | { readonly type: 'Resume'; readonly answer: unknown; readonly by: string; readonly at: string }
  | { readonly type: 'Cancel'; readonly by: string; readonly at: string };

export type ExecutionState =
  | { readonly status: 'ABSENT' }
  | {
      readonly status: ExecutionStatus;
      readonly request: ExecutionRequestedData;
      /** runs started so far (the current one, when RUNNING) */
      readonly runs: number;
      readonly answers: readonly unknown[];
      readonly prompt: string | null;
      /** set when COMPLETED */
      readonly output?: unknown;
      /** set when FAILED or TIMED_OUT */
      readonly error?: string;
    };

type Present = Exclude<ExecutionState, { status: 'ABSENT' }>;

export const executionDecider: Decider<ExecutionCommand, ExecutionEvent, ExecutionState> = {
  initialState: { status: 'ABSENT' },
  eventVersion: 2, // 2: the versions its events name count from 1 (events/version-upcasts.ts)
  decide(c, s): readonly ExecutionEvent[] {
    if (c.type === 'RequestExecution') {
      if (s.status !== 'ABSENT') throw new IllegalStateError('execution already exists');
      const { type: _t, ...data } = c;
      return [{ type: 'ExecutionRequested', data }];
    }
    if (s.status === 'ABSENT') throw new NotFoundError('execution not found');
    switch (c.type) {
      case 'StartRun':
        if (s.status !== 'PENDING') throw new IllegalStateError(`execution is ${s.status}, not PENDING`);
        return [{ type: 'ExecutionStarted', data: { run: s.runs + 1, worker: c.worker, at: c.at } }];
      case 'EndRun': {
        checkRunning(s, c.run);
        const { type: _t, outcome: _o, ...rest } = c;
        const report = {
          run: rest.run,
          stdout: rest.stdout,
          stderr: rest.stderr,
          logs: rest.logs,
          containerId: rest.containerId,
          durationMs: rest.durationMs,
          at: rest.at,
        };
        if (c.outcome === 'completed')
          return [{ type: 'ExecutionCompleted', data: { ...report, output: c.output } }];
        if (c.outcome === 'awaiting_input')
          return [{ type: 'ExecutionAwaitingInput', data: { ...report, prompt: c.prompt } }];
        if (c.outcome === 'failed')
          return [{ type: 'ExecutionFailed', data: { ...report, error: c.error, traceback: c.traceback } }];
        return [{ type: 'ExecutionTimedOut', data: { ...report, error: c.error } }];
      }
      case 'AbandonRun':
        checkRunning(s, c.run);
        return [
          { type: 'ExecutionFailed', data: { run: c.run, error: c.reason, traceback: null, at: c.at } },
        ];
      case 'Resume':
        if (s.status !== 'AWAITING_INPUT')
          throw new IllegalStateError(
            `execution is ${s.status}; only an AWAITING_INPUT execution can continue`,
          );
        return [
          { type: 'ExecutionResumed', data: { answer: c.answer, run: s.runs + 1, by: c.by, at: c.at } },
        ];
      case 'Cancel':
        if (TERMINAL.includes(s.status)) throw new IllegalStateError(`execution already ended: ${s.status}`);
        return [{ type: 'ExecutionCancelled', data: { by: c.by, at: c.at } }];
    }
  },
  evolve(s, e): ExecutionState {
    if (e.type === 'ExecutionRequested')
      return { status: 'PENDING', request: e.data, runs: 0, answers: [], prompt: null };
    if (s.status === 'ABSENT') return s;
    const p: Present = s;
    switch (e.type) {
      case 'ExecutionStarted':
        return { ...p, status: 'RUNNING', runs: e.data.run };
      case 'ExecutionAwaitingInput':
        return { ...p, status: 'AWAITING_INPUT', prompt: e.data.prompt };
      case 'ExecutionResumed':
        return { ...p, status: 'PENDING', prompt: null, answers: [...p.answers, e.data.answer] };
      case 'ExecutionCompleted':
        return { ...p, status: 'COMPLETED', output: e.data.output };
      case 'ExecutionFailed':
        return { ...p, status: 'FAILED', error: e.data.error };
      case 'ExecutionTimedOut':
        return { ...p, status: 'TIMED_OUT', error: e.data.error };
      case 'ExecutionCancelled':
        return { ...p, status: 'CANCELLED', prompt: null };
    }
  },
};

function checkRunning(s: Present, run: number): void {
  if (s.status !== 'RUNNING' || s.runs !== run)
    throw new IllegalStateError(
      `run ${run} is not the running one (execution is ${s.status}, run ${s.runs})`,
    );
}
