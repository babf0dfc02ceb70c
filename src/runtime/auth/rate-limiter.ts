/**
 * Fixed-window counters in Postgres, so every API process counts against the same limits. A window
 * starts at a multiple of its length; a burst straddling two windows can reach twice the limit,
 * which is fine for login throttling. Windows a day old are deleted now and then.
 */
import type pg from 'pg';

export interface Hit {
  /** hits in this window, this one included */
  readonly count: number;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /** seconds until the window ends */
  readonly retryAfterS: number;
}

const CLEANUP_EVERY = 500;

export class RateLimiter {
  private hits = 0;

  constructor(private readonly pool: pg.Pool) {}

  /** Counts one hit in `bucket`'s current window of `windowMs`. */
  async hit(bucket: string, windowMs: number, now: Date = new Date()): Promise<Hit> {
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    const { rows } = await this.pool.query<{ hits: number }>(
      `INSERT INTO auth_rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
       ON CONFLICT (bucket, window_start) DO UPDATE SET hits = auth_rate_limits.hits + 1 RETURNING hits`,
      [bucket, new Date(start)],
    );
    if (++this.hits % CLEANUP_EVERY === 0)
      await this.pool.query(`DELETE FROM auth_rate_limits WHERE window_start < $1`, [
        new Date(now.getTime() - 86_400_000 - windowMs),
      ]);
    return {
      count: rows[0]!.hits,
      windowStart: new Date(start),
      windowEnd: new Date(start + windowMs),
      retryAfterS: Math.max(1, Math.ceil((start + windowMs - now.getTime()) / 1000)),
    };
  }
}
