/** Where each subscription's delivery stands (`webhook_checkpoints`) and every attempt (`webhook_deliveries`). */
import type pg from 'pg';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface DeliveryAttempt {
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly position: bigint;
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface DeliveryRow {
  readonly event_id: string;
  readonly position: string;
  readonly attempt: number;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
  readonly at: Date;
}

export interface DeliveryState {
  readonly position: bigint;
  readonly failures: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
}

export async function logAttempt(db: Queryable, a: DeliveryAttempt): Promise<void> {
  await db.query(
    `INSERT INTO webhook_deliveries (subscription_id, event_id, position, attempt, status_code, error, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [a.subscriptionId, a.eventId, String(a.position), a.attempt, a.statusCode, a.error, a.durationMs],
  );
}

export async function deliveriesOf(
  db: Queryable,
  subscriptionId: string,
  skip: number,
  limit: number,
): Promise<{ rows: DeliveryRow[]; total: number }> {
  const { rows } = await db.query<DeliveryRow & { total: string }>(
    `SELECT event_id, position, attempt, status_code, error, duration_ms, at, count(*) OVER () AS total
       FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id LIMIT $2 OFFSET $3`,
    [subscriptionId, limit, skip],
  );
  return { rows, total: rows[0] ? Number(rows[0].total) : 0 };
}

export async function deliveryStateOf(
  db: Queryable,
  subscriptionId: string,
): Promise<DeliveryState | undefined> {
  const { rows } = await db.query<{
    position: string;
    failures: number;
    next_attempt_at: Date;
    last_error: string | null;
  }>(
    'SELECT position, failures, next_attempt_at, last_error FROM webhook_checkpoints WHERE subscription_id = $1',
    [subscriptionId],
  );
  const r = rows[0];
  return r
    ? {
        position: BigInt(r.position),
        failures: r.failures,
        nextAttemptAt: r.next_attempt_at,
        lastError: r.last_error,
      }
    : undefined;
}

/** Re-delivers from `from` (inclusive): the checkpoint goes back (or forward) to just before it. */
export async function resetCheckpoint(db: Queryable, subscriptionId: string, from: bigint): Promise<void> {
  const after = from > 0n ? from - 1n : 0n;
  await db.query(
    `INSERT INTO webhook_checkpoints (subscription_id, position) VALUES ($1, $2)
     ON CONFLICT (subscription_id) DO UPDATE SET position = $2, failures = 0, next_attempt_at = now(),
       last_error = NULL, updated_at = now()`,
    [subscriptionId, String(after)],
  );
}

/** Where delivery stands for each of these subscriptions that has begun (one query for a page). */
export async function deliveryStatesOf(
  db: Queryable,
  subscriptionIds: readonly string[],
): Promise<Map<string, DeliveryState>> {
  const { rows } = await db.query<{
    subscription_id: string;
    position: string;
    failures: number;
    next_attempt_at: Date;
    last_error: string | null;
  }>(
    `SELECT subscription_id, position, failures, next_attempt_at, last_error FROM webhook_checkpoints
      WHERE subscription_id = ANY($1::uuid[])`,
    [subscriptionIds],
  );
  return new Map(
    rows.map((r) => [
      r.subscription_id,
      {
        position: BigInt(r.position),
        failures: r.failures,
        nextAttemptAt: r.next_attempt_at,
        lastError: r.last_error,
      },
    ]),
  );
}
