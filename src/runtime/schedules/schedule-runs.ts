/**
 * What a schedule's response says about its ticks: `last_run`, `last_status` and `last_error` from
 * its tick stream's last event, and `next_run` as the tick decider answers for now.
 */
import type pg from 'pg';
import { decideTick, type TickHistory, type TickSchedule } from '../../commands/schedule/tick-decider.js';
import type { EventStore } from '../../events/event-store.js';
import { TickLog } from './tick-log.js';
import { TICK_POLICY } from './tick-policy.js';

type Row = { id: string; spec: Record<string, unknown>; created_at: Date };

export type ScheduleRunsOf = (ids: readonly string[]) => Promise<Map<string, Record<string, unknown>>>;

export function scheduleRuns(pool: pg.Pool, store: EventStore): ScheduleRunsOf {
  const ticks = new TickLog(store);
  return async (ids) => {
    const { rows } = await pool.query<Row>(
      'SELECT id, spec, created_at FROM schedules WHERE id = ANY($1::uuid[])',
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return new Map(
      await Promise.all(ids.map(async (id) => [id, await runOf(ticks, id, byId.get(id))] as const)),
    );
  };
}

async function runOf(ticks: TickLog, id: string, row: Row | undefined): Promise<Record<string, unknown>> {
  const { history, last } = await ticks.described(id);
  const active = row?.spec.is_active !== false;
  const decision =
    row && active
      ? decided(
          {
            cron: String(row.spec.cron_expression),
            timezone: String(row.spec.timezone ?? 'UTC'),
            active,
            createdAt: row.created_at,
          },
          history,
          new Date(),
        )
      : undefined;
  const next = decision?.kind === 'idle' ? decision.next : decision?.due;
  return {
    last_run: last?.at ?? null,
    next_run: next?.toISOString() ?? null,
    last_status: last?.status ?? null,
    last_error: last?.reason ?? null,
  };
}

/** The decider's answer, or none for a schedule it cannot read (its response then shows no next run). */
function decided(schedule: TickSchedule, history: TickHistory, now: Date) {
  try {
    return decideTick(schedule, history, now, TICK_POLICY);
  } catch {
    return undefined; // an expression that parsed at save time and not now: nothing is due
  }
}
