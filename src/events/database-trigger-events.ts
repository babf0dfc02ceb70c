/**
 * What happens to a database trigger's polling, on its own stream `dbtriggerpoll-<trigger id>` (the
 * trigger's configuration lives on `dbtrigger-…`, so its versions count edits, not batches). A
 * batch is claimed by one event that also carries the new `last_poll_value`, appended with the
 * stream's expected revision: whichever worker appends first owns the batch, and a crash leaves
 * either no claim (the batch is polled again) or a claim (its execution is requested by whoever
 * polls next), never a skipped or repeated batch.
 */
import { streamName } from './stream-names.js';

export const TRIGGER_POLL_CATEGORY = 'dbtriggerpoll';
export const triggerPollStream = (triggerId: string) => streamName(TRIGGER_POLL_CATEGORY, triggerId);

/** where an error came from: reading the table, or the function a batch ran */
export type TriggerErrorSource = 'poll' | 'function';

export interface BatchClaimedData {
  readonly triggerId: string;
  /** 1, 2, ... */
  readonly seq: number;
  /** the execution that runs this batch (requested after the claim, under this id) */
  readonly executionId: string;
  /** `last_poll_value` before the batch (null: the first batch) */
  readonly fromValue: string | null;
  /** the poll column's value of the batch's last row, as text: the new `last_poll_value` */
  readonly lastPollValue: string;
  readonly count: number;
  /** the rows, as the function receives them */
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  readonly at: string;
}

export interface BatchSettledData {
  readonly triggerId: string;
  readonly seq: number;
  readonly executionId: string;
  /** the execution's end (COMPLETED, FAILED, TIMED_OUT, CANCELLED, AWAITING_INPUT) or REFUSED when none ran */
  readonly status: string;
  readonly error: string | null;
  readonly at: string;
}

export interface PollFailedData {
  readonly triggerId: string;
  readonly error: string;
  readonly at: string;
}

export interface TriggerError {
  readonly message: string;
  readonly at: string;
  readonly source: TriggerErrorSource;
}

/**
 * Where polling stands after an event, carried by every event (`after`), so the trigger's status is
 * its stream's last event, read without folding the stream.
 */
export interface TriggerPollStatus {
  /** batches claimed */
  readonly batches: number;
  readonly rows: number;
  readonly lastPollValue: string | null;
  /** the claimed batch whose execution has not ended */
  readonly pendingBatch: number | null;
  /** what is wrong now (cleared by the next success of its source) */
  readonly error: TriggerError | null;
  /** the most recent error, kept after it cleared */
  readonly lastError: TriggerError | null;
}

type Stamped<D> = D & { readonly after?: TriggerPollStatus };

export type TriggerPollEvent =
  | { readonly type: 'DatabaseTriggerBatchClaimed'; readonly data: Stamped<BatchClaimedData> }
  | { readonly type: 'DatabaseTriggerBatchSettled'; readonly data: Stamped<BatchSettledData> }
  | { readonly type: 'DatabaseTriggerPollFailed'; readonly data: Stamped<PollFailedData> }
  | {
      readonly type: 'DatabaseTriggerPollRecovered';
      readonly data: Stamped<{ readonly triggerId: string; readonly at: string }>;
    };
