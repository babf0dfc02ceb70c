/**
 * A schedule's tick stream as the scheduler reads and writes it: where it stands (its last event
 * alone, read backwards, so a long-lived every-second schedule costs one row per decision), the
 * claim appended at the revision read (the one append that settles who fires a tick), and the
 * outcome appended after it. Only the last ticks are kept (retention/stream-trim.ts): an outcome
 * trims the stream when due; its revision, which claims expect, and its last event, which decides,
 * stay.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EventStore, ExpectedRevision, RecordedEvent } from '../../events/event-store.js';
import {
  scheduleTickStream,
  type ScheduleTickEvent,
  type TickClaimedData,
} from '../../events/schedule-events.js';
import type { TickHistory } from '../../commands/schedule/tick-decider.js';
import { DEFAULT_RETENTION, trimStream, type StreamRetention } from '../retention/stream-trim.js';

export interface TickState {
  readonly history: TickHistory;
  /** the revision a claim must expect */
  readonly expected: ExpectedRevision;
}

export interface LastTick {
  readonly at: string;
  readonly status: 'claimed' | 'fired' | 'failed';
  readonly reason?: string;
}

const STATUS: Record<ScheduleTickEvent['type'], LastTick['status']> = {
  ScheduleTickClaimed: 'claimed',
  ScheduleTickFired: 'fired',
  ScheduleTickFailed: 'failed',
};

export class TickLog {
  constructor(
    private readonly store: EventStore,
    private readonly retention: StreamRetention = DEFAULT_RETENTION,
  ) {}

  async state(scheduleId: string): Promise<TickState> {
    const last = await this.last(scheduleId);
    if (!last) return { history: {}, expected: 'no_stream' };
    return { history: historyOf(last), expected: last.revision };
  }

  /** Where the ticks stand, and what the last one did, for a schedule's response. */
  async described(scheduleId: string): Promise<{ history: TickHistory; last?: LastTick }> {
    const event = await this.last(scheduleId);
    if (!event) return { history: {} };
    const data = event.data as { at: string; reason?: string };
    const status = STATUS[event.type as ScheduleTickEvent['type']] ?? 'claimed';
    return {
      history: historyOf(event),
      last: { at: data.at, status, ...(data.reason ? { reason: data.reason } : {}) },
    };
  }

  private async last(scheduleId: string) {
    const [last] = await this.store.readStream(scheduleTickStream(scheduleId), {
      direction: 'backwards',
      maxCount: 1,
    });
    return last;
  }

  /** Appends `event` expecting `expected`; a ConcurrencyError means another worker got there first. */
  async append(scheduleId: string, event: ScheduleTickEvent, expected: ExpectedRevision, actor: string) {
    const r = await this.store.append(
      scheduleTickStream(scheduleId),
      [
        {
          id: randomUUID(),
          type: event.type,
          data: { ...event.data },
          metadata: {
            correlationId: `${scheduleId}/${event.data.due}`,
            causationId: scheduleId,
            actor,
            version: 1,
          },
        },
      ],
      expected,
    );
    if (event.type !== 'ScheduleTickClaimed')
      await trimStream(this.store, scheduleTickStream(scheduleId), r.nextExpectedRevision, this.retention);
    return r.nextExpectedRevision;
  }
}

function historyOf(last: RecordedEvent): TickHistory {
  const data = last.data as unknown as TickClaimedData;
  const lastDue = new Date(data.due);
  return last.type === 'ScheduleTickClaimed' ? { lastDue, openClaimAt: new Date(data.at) } : { lastDue };
}

const WORKER = `${hostname()}:${process.pid}`;

export const claimed = (scheduleId: string, due: Date, skipped: number, at: Date): ScheduleTickEvent => ({
  type: 'ScheduleTickClaimed',
  data: { scheduleId, due: due.toISOString(), skipped, worker: WORKER, at: at.toISOString() },
});
