/**
 * The database-trigger poller of a worker process (`start`/`stop`): every second it reads the
 * active triggers from their read model and steps each one that is due, one step at a time per
 * trigger in this process. A trigger with more to do (a batch claimed, an execution in flight, a
 * full batch read) steps again at once; an idle one waits its `poll_interval_seconds`. Any number
 * of workers may run it: the poll stream's expected revision decides who claims each batch.
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import { databaseTriggerKind } from '../../commands/database-trigger/database-trigger-kind.js';
import type { ActiveTrigger, TriggerStep } from './trigger-step.js';

const TICK_MS = 1000;
/** after an unexpected failure (the platform's database down), a trigger rests this long */
const BACKOFF_MS = 5000;

export class TriggerPoller {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly dueAt = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly stepper: TriggerStep,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.running.values());
  }

  private async tick(): Promise<void> {
    let triggers: ActiveTrigger[];
    try {
      triggers = await this.active();
    } catch (err) {
      this.log.warn({ err }, 'database triggers: the active triggers could not be read; trying again');
      return;
    }
    for (const t of triggers) {
      if (this.running.has(t.id) || (this.dueAt.get(t.id) ?? 0) > Date.now()) continue;
      const run = this.drive(t).finally(() => this.running.delete(t.id));
      this.running.set(t.id, run);
    }
  }

  /** steps the trigger while it has more to do */
  private async drive(t: ActiveTrigger): Promise<void> {
    const interval = Number(t.spec.poll_interval_seconds ?? 10) * 1000;
    try {
      while (!this.stopped && (await this.stepper.step(t)) === 'again');
      this.dueAt.set(t.id, Date.now() + interval);
    } catch (err) {
      this.log.error({ err, trigger: t.name }, 'database trigger step failed; trying again later');
      this.dueAt.set(t.id, Date.now() + Math.min(interval, BACKOFF_MS));
    }
  }

  private async active(): Promise<ActiveTrigger[]> {
    const { rows } = await this.pool.query<{
      id: string;
      name: string;
      owner_id: string;
      spec: Record<string, unknown>;
    }>(
      `SELECT id, name, owner_id, spec FROM ${databaseTriggerKind.table} WHERE (spec->>'is_active')::boolean`,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, ownerId: r.owner_id, spec: r.spec }));
  }
}
