/**
 * What happens to a schedule's ticks (reference §5.11). A schedule's configuration lives on the kind
 * kit's stream (`schedule-<name>`, whose revisions are its versions); its ticks live on a stream of
 * their own, `schedtick-<schedule id>`, so firing never bumps the version a client sees. A tick is
 * claimed by appending `ScheduleTickClaimed` with the expected revision the claimant read: of any
 * number of workers, one append wins and the others get a ConcurrencyError. The claim is then
 * followed by the outcome, `ScheduleTickFired` (what it started) or `ScheduleTickFailed` (why not).
 */
import { streamName } from './stream-names.js';

export const SCHEDULE_CATEGORY = 'schedule';
export const SCHEDULE_TICK_CATEGORY = 'schedtick';

export const scheduleTickStream = (scheduleId: string) => streamName(SCHEDULE_TICK_CATEGORY, scheduleId);

export interface TickClaimedData {
  readonly scheduleId: string;
  /** the tick's due time (ISO) */
  readonly due: string;
  /** ticks before `due` that were missed beyond the grace and folded into this one */
  readonly skipped: number;
  /** the worker that claimed it (`host:pid`) */
  readonly worker: string;
  readonly at: string;
}

export interface TickFiredData {
  readonly scheduleId: string;
  readonly due: string;
  readonly executionId?: string;
  readonly chatId?: string;
  readonly at: string;
}

export interface TickFailedData {
  readonly scheduleId: string;
  readonly due: string;
  readonly reason: string;
  readonly at: string;
}

export type ScheduleTickEvent =
  | { readonly type: 'ScheduleTickClaimed'; readonly data: TickClaimedData }
  | { readonly type: 'ScheduleTickFired'; readonly data: TickFiredData }
  | { readonly type: 'ScheduleTickFailed'; readonly data: TickFailedData };

export const SCHEDULE_TICK_EVENTS = [
  'ScheduleTickClaimed',
  'ScheduleTickFired',
  'ScheduleTickFailed',
] as const;
