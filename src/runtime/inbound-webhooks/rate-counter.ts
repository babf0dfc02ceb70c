/**
 * Per-webhook delivery counters: fixed one-minute windows in Postgres (the `auth_rate_limits`
 * table the login limits use, buckets `webhook:<id>`), so every API process counts against one
 * limit. Unlike login throttling, a count lost in a crash is harmless, so the increment commits
 * without waiting for the WAL flush: it costs a delivery a round trip, not a disk sync.
 */
import type pg from 'pg';

const CLEANUP_EVERY = 500;

export class WebhookRateCounter {
  private hits = 0;

  constructor(private readonly pool: pg.Pool) {}

  /** Counts one delivery in `bucket`'s current window of `windowMs`. */
  async hit(bucket: string, windowMs: number, now: Date = new Date()) {
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN; SET LOCAL synchronous_commit TO off');
      const { rows } = await client.query<{ hits: number }>(
        `INSERT INTO auth_rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = auth_rate_limits.hits + 1 RETURNING hits`,
        [bucket, new Date(start)],
      );
      await client.query('COMMIT');
      if (++this.hits % CLEANUP_EVERY === 0)
        await client.query(
          `DELETE FROM auth_rate_limits WHERE bucket LIKE 'webhook:%' AND window_start < $1`,
          [new Date(start - windowMs)],
        );
      const retryAfterS = Math.max(1, Math.ceil((start + windowMs - now.getTime()) / 1000));
      return { count: rows[0]!.hits, retryAfterS };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined); // the connection may be gone: the error below says why
      throw err;
    } finally {
      client.release();
    }
  }
}
