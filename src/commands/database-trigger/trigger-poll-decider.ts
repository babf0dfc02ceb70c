/**
 * The decider of a trigger's poll stream: which batch is next, and what is wrong. A batch is
 * claimed only from the `last_poll_value` it was polled after and only once the previous batch has
 * settled (its execution ended), so batches run one after another and a claim decided on a stale
 * read (another worker claimed first) is refused instead of repeating rows. Errors are recorded
 * once, not every poll, and cleared by the next success of the same source. Every event carries the
 * status it leaves (`after`), and the fold takes it from there, so the poll stream may be truncated
 * to its last events (src/runtime/retention/stream-trim.ts).
 */
import { IllegalStateError, ValidationError } from '../../errors.js';
import type {
  BatchClaimedData,
  BatchSettledData,
  TriggerError,
  TriggerErrorSource,
  TriggerPollEvent,
  TriggerPollStatus,
} from '../../events/database-trigger-events.js';
import type { Decider } from '../decider.js';

export type TriggerPollCommand =
  | ({ readonly type: 'ClaimBatch' } & Omit<BatchClaimedData, 'seq' | 'count'>)
  | ({ readonly type: 'SettleBatch' } & Omit<BatchSettledData, 'executionId'>)
  | {
      readonly type: 'RecordPollFailure';
      readonly triggerId: string;
      readonly error: string;
      readonly at: string;
    }
  | { readonly type: 'RecordPollSuccess'; readonly triggerId: string; readonly at: string };

export interface TriggerPollState {
  /** the last batch claimed (0: none) */
  readonly seq: number;
  readonly lastPollValue: string | null;
  /** the claimed batch whose execution has not ended */
  readonly pending: { readonly seq: number; readonly executionId: string } | null;
  /** what is wrong now (cleared by the next success of its source) */
  readonly error: TriggerError | null;
  /** the most recent error, kept after it cleared */
  readonly lastError: TriggerError | null;
  readonly rows: number;
}

type Decide<T extends TriggerPollCommand['type']> = (
  c: Extract<TriggerPollCommand, { type: T }>,
  s: TriggerPollState,
) => TriggerPollEvent[];

const claim: Decide<'ClaimBatch'> = ({ type: _t, ...c }, s) => {
  if (s.pending) throw new IllegalStateError(`batch ${s.pending.seq} has not settled yet`);
  if (c.fromValue !== s.lastPollValue)
    throw new IllegalStateError(
      'the batch was polled after an older last_poll_value: another worker claimed it',
    );
  if (c.rows.length === 0) throw new ValidationError('a batch has at least one row', 'rows');
  return [{ type: 'DatabaseTriggerBatchClaimed', data: { ...c, seq: s.seq + 1, count: c.rows.length } }];
};

const settle: Decide<'SettleBatch'> = ({ type: _t, ...c }, s) =>
  s.pending?.seq === c.seq
    ? [{ type: 'DatabaseTriggerBatchSettled', data: { ...c, executionId: s.pending.executionId } }]
    : []; // settled already (by another worker)

const pollFailed: Decide<'RecordPollFailure'> = (c, s) =>
  s.error?.source === 'poll' && s.error.message === c.error
    ? []
    : [{ type: 'DatabaseTriggerPollFailed', data: { triggerId: c.triggerId, error: c.error, at: c.at } }];

const pollSucceeded: Decide<'RecordPollSuccess'> = (c, s) =>
  s.error?.source === 'poll'
    ? [{ type: 'DatabaseTriggerPollRecovered', data: { triggerId: c.triggerId, at: c.at } }]
    : [];

function decided(c: TriggerPollCommand, s: TriggerPollState): TriggerPollEvent[] {
  switch (c.type) {
    case 'ClaimBatch':
      return claim(c, s);
    case 'SettleBatch':
      return settle(c, s);
    case 'RecordPollFailure':
      return pollFailed(c, s);
    case 'RecordPollSuccess':
      return pollSucceeded(c, s);
    default: {
      const unreachable: never = c;
      throw new ValidationError(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

/** where polling stands, as the trigger shows it */
export const statusOf = (s: TriggerPollState): TriggerPollStatus => ({
  batches: s.seq,
  rows: s.rows,
  lastPollValue: s.lastPollValue,
  pendingBatch: s.pending?.seq ?? null,
  error: s.error,
  lastError: s.lastError,
});

/** each event carries the status it leaves behind */
function stamped(s: TriggerPollState, events: TriggerPollEvent[]): TriggerPollEvent[] {
  let state = s;
  return events.map((e) => {
    state = triggerPollDecider.evolve(state, e);
    return { ...e, data: { ...e.data, after: statusOf(state) } } as TriggerPollEvent;
  });
}

/** the state a status describes, but the pending batch's execution (pendingAfter) */
const fromStatus = (a: TriggerPollStatus): Omit<TriggerPollState, 'pending'> => ({
  seq: a.batches,
  lastPollValue: a.lastPollValue,
  error: a.error,
  lastError: a.lastError,
  rows: a.rows,
});

/** a claim makes its batch pending; a settle ends it; nothing else happens while one is pending */
function pendingAfter(s: TriggerPollState, e: TriggerPollEvent): TriggerPollState['pending'] {
  if (e.type === 'DatabaseTriggerBatchClaimed') return { seq: e.data.seq, executionId: e.data.executionId };
  return e.type === 'DatabaseTriggerBatchSettled' ? null : s.pending;
}

const withError = (s: TriggerPollState, e: TriggerError): TriggerPollState => ({
  ...s,
  error: e,
  lastError: e,
});
const clearing = (s: TriggerPollState, source: TriggerErrorSource): TriggerPollState =>
  s.error?.source === source ? { ...s, error: null } : s;

export const triggerPollDecider: Decider<TriggerPollCommand, TriggerPollEvent, TriggerPollState> = {
  initialState: { seq: 0, lastPollValue: null, pending: null, error: null, lastError: null, rows: 0 },
  decide(c, s) {
    return stamped(s, decided(c, s));
  },
  evolve(s, e) {
    const after = e.data.after;
    // the status it left behind rides on every event: a fold may start anywhere (a trimmed stream)
    if (after) return { ...fromStatus(after), pending: pendingAfter(s, e) };
    switch (e.type) {
      case 'DatabaseTriggerBatchClaimed': {
        const d = e.data;
        const pending = { seq: d.seq, executionId: d.executionId };
        return {
          ...clearing(s, 'poll'),
          seq: d.seq,
          lastPollValue: d.lastPollValue,
          pending,
          rows: s.rows + d.count,
        };
      }
      case 'DatabaseTriggerBatchSettled': {
        const d = e.data;
        const settled = { ...s, pending: null };
        return d.error === null
          ? clearing(settled, 'function')
          : withError(settled, { message: `batch ${d.seq}: ${d.error}`, at: d.at, source: 'function' });
      }
      case 'DatabaseTriggerPollFailed':
        return withError(s, { message: e.data.error, at: e.data.at, source: 'poll' });
      case 'DatabaseTriggerPollRecovered':
        return clearing(s, 'poll');
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  },
};
