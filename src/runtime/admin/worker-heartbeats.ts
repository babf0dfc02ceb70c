/**
 * Worker heartbeats (infra/migrations/011_worker_heartbeats.sql): which worker processes are alive,
 * for `GET /api/v1/workers`. A process beats off the hot path (a timer, one upsert, never awaited by
 * a job), stamped with the database's clock so hosts with skewed clocks agree; a row unseen for the
 * TTL is not listed and the next beat of any process deletes it, so a killed process drops out on
 * its own. A beat that fails (the database is away) is logged and the next one tries again.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { Observable } from 'rxjs';
import type { JobEvent } from '../queue/job-queue.js';
import type { RunnerPoolView } from '../functions/function-runner.js';

export interface WorkerRow {
  id: string;
  role: string;
  pid: number;
  host: string;
  started_at: Date;
  last_seen: Date;
  executions: number;
  pool: RunnerPoolView | null;
}

export interface HeartbeatOptions {
  readonly pool: Pick<pg.Pool, 'query'>;
  /** this process's worker id (unique per process start) */
  readonly id: string;
  readonly role: string;
  readonly intervalMs: number;
  readonly ttlMs: number;
  /** function runs this process's workers finished so far */
  readonly executions: () => number;
  /** its function runner's sandbox pool, when it runs functions */
  readonly runnerPool: () => RunnerPoolView | undefined;
  readonly log: Pick<Logger, 'warn'>;
}

export class WorkerHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private readonly startedAt = new Date();
  private failing = false;

  constructor(private readonly o: HeartbeatOptions) {}

  /** Writes the first beat (so the process is listed once started), then one every interval. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat());
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes this process's row: a clean stop drops out at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.o.pool
      .query('DELETE FROM worker_heartbeats WHERE id = $1', [this.o.id])
      .catch((err: Error) => this.o.log.warn({ err }, 'worker heartbeat: could not remove this process'));
  }

  private poolJson(): string | null {
    const view = this.o.runnerPool();
    return view ? JSON.stringify(view) : null;
  }

  private async beat(): Promise<void> {
    const { pool, id, role, ttlMs } = this.o;
    try {
      await pool.query(
        `INSERT INTO worker_heartbeats (id, role, pid, host, started_at, last_seen, executions, pool)
           VALUES ($1, $2, $3, $4, $5, now(), $6, $7)
         ON CONFLICT (id) DO UPDATE SET last_seen = now(), executions = EXCLUDED.executions, pool = EXCLUDED.pool`,
        [id, role, process.pid, hostname(), this.startedAt, this.o.executions(), this.poolJson()],
      );
      await pool.query(
        `DELETE FROM worker_heartbeats WHERE last_seen < now() - $1 * interval '1 millisecond'`,
        [ttlMs],
      );
      this.failing = false;
    } catch (err) {
      // once per outage: the next beat tries again, and a reader simply sees this process late
      if (!this.failing) this.o.log.warn({ err }, 'worker heartbeat failed; retrying at the next beat');
      this.failing = true;
    }
  }
}

/** The worker processes seen within the TTL, oldest first. */
export async function liveWorkers(pool: Pick<pg.Pool, 'query'>, ttlMs: number): Promise<WorkerRow[]> {
  const { rows } = await pool.query<WorkerRow & { executions: string }>(
    `SELECT id, role, pid, host, started_at, last_seen, executions, pool FROM worker_heartbeats
      WHERE last_seen >= now() - $1 * interval '1 millisecond' ORDER BY started_at, id`,
    [ttlMs],
  );
  return rows.map((r) => ({ ...r, executions: Number(r.executions) }));
}

/** A counter of the jobs of `queue` this process's workers finished (completed, or failed for good). */
export function finishedJobs(events: Observable<JobEvent>, queue: string): () => number {
  let n = 0;
  events.subscribe((e) => {
    if (e.type !== 'error' && e.queue === queue && (e.type === 'completed' || e.final)) n++;
  });
  return () => n;
}
