/**
 * Writes API requests to `request_logs` (infra/migrations/012_request_logs.sql) off the request
 * path: `record` only pushes to a bounded buffer (never waits, never throws; past the bound a
 * request is dropped and counted), and a timer flushes the buffer as one INSERT every `flushMs`,
 * then prunes rows past the age and count bounds. A failed flush is logged and its batch dropped:
 * a request log is an operator's view, not a record anything depends on.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { RequestLogConfig } from '../config.js';

/** What one request leaves: no body, query string, header or credential. */
export interface RequestLogEntry {
  readonly at: Date;
  readonly userId: string | null;
  readonly method: string;
  /** the path without its query string */
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
}

/** Paths whose last segment is a credential (a signed file link): logged with the token replaced. */
const CAPABILITY_PATHS = [/^(\/files\/serve\/)[^/]+$/];
/** any other segment this long made of token characters is taken for one */
const TOKEN_SEGMENT = /^[\w.~+=-]{64,}$/;

/** The path as logged: a credential in it (a signed link's token) becomes `{token}`. */
export function loggedPath(path: string): string {
  for (const re of CAPABILITY_PATHS) if (re.test(path)) return path.replace(re, '$1{token}');
  return path
    .split('/')
    .map((seg) => (TOKEN_SEGMENT.test(seg) ? '{token}' : seg))
    .join('/');
}

export class RequestLogWriter {
  private buffer: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly config: Omit<RequestLogConfig, 'enabled'>,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.config.flushMs);
    this.timer.unref();
  }

  record(entry: RequestLogEntry): void {
    if (this.buffer.length >= this.config.bufferMax) this.dropped++;
    else this.buffer.push({ ...entry, path: loggedPath(entry.path) });
  }

  /** Writes what is buffered (one flush at a time); resolves once written or given up. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    const batch = this.buffer;
    if (batch.length === 0) return;
    this.buffer = [];
    const dropped = this.dropped;
    this.dropped = 0;
    if (dropped > 0) this.log.warn({ dropped }, 'request log: buffer full, requests not logged');
    try {
      await this.pool.query(
        `INSERT INTO request_logs (request_id, at, user_id, method, path, status_code, response_time_ms)
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[])`,
        [
          batch.map(() => randomUUID()),
          batch.map((e) => e.at),
          batch.map((e) => e.userId),
          batch.map((e) => e.method),
          batch.map((e) => e.path),
          batch.map((e) => e.status),
          batch.map((e) => Math.round(e.durationMs)),
        ],
      );
      await this.prune();
    } catch (err) {
      this.log.warn(
        { err, requests: batch.length },
        'request log: flush failed; these requests are not logged',
      );
    }
  }

  private async prune(): Promise<void> {
    await this.pool.query(`DELETE FROM request_logs WHERE at < now() - $1 * interval '1 millisecond'`, [
      this.config.maxAgeMs,
    ]);
    await this.pool.query(
      `DELETE FROM request_logs WHERE seq <= (SELECT seq FROM request_logs ORDER BY seq DESC OFFSET $1 LIMIT 1)`,
      [this.config.maxRows],
    );
  }
}
