/**
 * The scheduler loop of a worker process. Every worker runs one; none is special. A pass reads the
 * schedules (read model), and for each asks the tick decider what is due given its tick stream and
 * the clock; a due tick is claimed by an append at the revision read, and only the worker whose
 * append wins fires it (the others see a ConcurrencyError and move on). Between passes the loop
 * sleeps until the earliest next tick, or until a schedule changes (a live subscription to the
 * schedule and tick categories wakes it), capped at a minute to notice a read model that moved.
 */
import { Subscription } from 'rxjs';
import type pg from 'pg';
import type { Logger } from 'pino';
import { decideTick, type TickPolicy } from '../../commands/schedule/tick-decider.js';
import { ConcurrencyError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import { SCHEDULE_CATEGORY } from '../../events/schedule-events.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import type { StreamRetention } from '../retention/stream-trim.js';
import { claimed, TickLog } from './tick-log.js';
import { fireTick, TickRefused, type ScheduleItem, type TickFiringDeps } from './tick-firing.js';

const MAX_SLEEP_MS = 60_000;
/** the longest a change waits for the read model before the loop looks anyway */
const CHANGE_WAIT_MS = 5_000;
/** a pass that fails (the database away) is tried again after this */
const RETRY_MS = 1_000;

export interface SchedulerDeps extends TickFiringDeps {
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly log: Logger;
  readonly policy: TickPolicy;
  readonly waiter: ProjectionWaiter;
  readonly now?: () => Date;
  /** how many tick events each schedule keeps (default DEFAULT_RETENTION) */
  readonly retention?: StreamRetention;
}

export class Scheduler {
  private readonly ticks: TickLog;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  /** a change arrived since the current pass began */
  private changed = false;
  private running: Promise<void> | undefined;
  private readonly changes = new Subscription();

  constructor(private readonly d: SchedulerDeps) {
    this.ticks = new TickLog(d.store, d.retention);
    this.now = d.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    const head = await this.d.store.headPosition();
    this.changes.add(
      this.d.store.subscribeToAll({ after: head, filter: { categories: [SCHEDULE_CATEGORY] } }).subscribe({
        // the pass reads the read model: wake once it shows the change
        next: (e) =>
          void this.d.waiter
            .waitFor(['schedules'], e.position, CHANGE_WAIT_MS)
            .catch((err: unknown) =>
              this.d.log.warn({ err }, 'scheduler: waiting for a schedule change to be projected failed'),
            )
            .then(() => this.poke()),
        error: (err: unknown) => this.d.log.error({ err }, 'scheduler: the schedule change feed failed'),
      }),
    );
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.changes.unsubscribe();
    this.poke();
    await this.running;
  }

  /** Something changed: the sleep ends now, or the next one does not begin (a change during a pass). */
  private poke(): void {
    this.changed = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let next: number;
      try {
        next = await this.pass();
      } catch (err) {
        this.d.log.error({ err }, 'scheduler: a pass failed; trying again');
        next = Date.now() + RETRY_MS;
      }
      await this.sleepUntil(Math.min(next, Date.now() + MAX_SLEEP_MS));
    }
  }

  private sleepUntil(at: number): Promise<void> {
    if (this.changed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.timer = setTimeout(done, Math.max(0, at - Date.now()));
    });
  }

  /** One pass over every schedule; returns when the next one is due (epoch ms). */
  private async pass(): Promise<number> {
    this.changed = false;
    const items = await activeSchedules(this.d.pool);
    const nexts = await Promise.all(
      items.map((s) =>
        // one schedule's failure (a database hiccup mid-fire) leaves the others on time
        this.serve(s).catch((err: unknown) => {
          this.d.log.error({ err, schedule: s.name }, 'scheduler: serving a schedule failed; trying again');
          return Date.now() + RETRY_MS;
        }),
      ),
    );
    return Math.min(Infinity, ...nexts);
  }

  /** Claims and fires what is due for one schedule; returns when it next needs a look. */
  private async serve(s: ScheduleItem): Promise<number> {
    for (;;) {
      if (this.stopped) return Infinity;
      const { history, expected } = await this.ticks.state(s.id);
      const now = this.now();
      const decision = decideTick(
        {
          cron: String(s.spec.cron_expression),
          timezone: String(s.spec.timezone ?? 'UTC'),
          active: s.spec.is_active !== false,
          createdAt: s.createdAt,
        },
        history,
        now,
        this.d.policy,
      );
      switch (decision.kind) {
        case 'idle':
          return decision.next?.getTime() ?? Infinity;
        case 'claim':
          try {
            const at = await this.ticks.append(
              s.id,
              claimed(s.id, decision.due, decision.skipped, now),
              expected,
              'system',
            );
            await this.fire(s, decision.due, at);
          } catch (err) {
            if (!(err instanceof ConcurrencyError)) throw err; // lost the race: another worker fires it
          }
          break;
        case 'finish':
          await this.fire(s, decision.due, expected as bigint);
          break;
        default: {
          const unreachable: never = decision;
          return unreachable;
        }
      }
    }
  }

  /** Fires a claimed tick and records its outcome after the claim (`expected`: the claim's revision). */
  private async fire(s: ScheduleItem, due: Date, expected: bigint): Promise<void> {
    let outcome;
    try {
      const fired = await fireTick(this.d, s, due);
      outcome = {
        type: 'ScheduleTickFired' as const,
        data: { scheduleId: s.id, due: due.toISOString(), ...fired, at: this.now().toISOString() },
      };
    } catch (err) {
      if (!(err instanceof TickRefused)) throw err;
      this.d.log.warn({ schedule: s.name, due, reason: err.message }, 'scheduler: a tick was refused');
      outcome = {
        type: 'ScheduleTickFailed' as const,
        data: { scheduleId: s.id, due: due.toISOString(), reason: err.message, at: this.now().toISOString() },
      };
    }
    try {
      await this.ticks.append(s.id, outcome, expected, 'system');
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err; // another worker finished this claim too
    }
  }
}

async function activeSchedules(pool: pg.Pool): Promise<ScheduleItem[]> {
  const { rows } = await pool.query<{
    id: string;
    name: string;
    owner_id: string;
    spec: Record<string, unknown>;
    created_at: Date;
  }>(
    `SELECT id, name, owner_id, spec, created_at FROM schedules WHERE (spec->>'is_active') IS DISTINCT FROM 'false'`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    ownerId: r.owner_id,
    spec: r.spec,
    createdAt: r.created_at,
  }));
}
