/**
 * Bounded retention of claim streams (README "Retention of claim streams"), run by the workers'
 * periodic sweep. A webhook dedup key whose last claim has expired no longer deduplicates anything,
 * so its stream is deleted (the execution it ran keeps the audit history); it is deleted at the
 * revision read, so a delivery that claimed the key meanwhile keeps its claim. The claim streams
 * of a webhook, schedule or database trigger that no longer exists are deleted whole.
 */
import type pg from 'pg';
import { webhookKind } from '../../commands/webhook/webhook-kind.js';
import { scheduleKind } from '../../commands/schedule/schedule-kind.js';
import { databaseTriggerKind } from '../../commands/database-trigger/database-trigger-kind.js';
import { ConcurrencyError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import type { WebhookDeliveryClaimedData } from '../../events/webhook-delivery-events.js';
import { CLAIM_STREAMS_TABLE, type ClaimStreamKind } from './claim-streams.js';

/** streams handled per sweep (the next sweep goes on) */
const BATCH = 500;

/** where each kind's resources live */
const OWNER_TABLES: Readonly<Record<ClaimStreamKind, string>> = {
  webhook: webhookKind.table,
  schedule: scheduleKind.table,
  trigger: databaseTriggerKind.table,
};

export interface SweptStreams {
  /** dedup keys whose last claim had expired */
  readonly expired: number;
  /** streams of deleted webhooks, schedules and triggers */
  readonly orphaned: number;
}

export async function sweepClaimStreams(
  pool: pg.Pool,
  store: EventStore,
  now: Date = new Date(),
): Promise<SweptStreams> {
  if (!(await exists(pool, CLAIM_STREAMS_TABLE))) return { expired: 0, orphaned: 0 }; // no worker ran yet
  const orphaned = await sweepOrphans(pool, store);
  const expired = await sweepExpired(pool, store, now);
  return { expired, orphaned };
}

async function sweepOrphans(pool: pg.Pool, store: EventStore): Promise<number> {
  let n = 0;
  for (const [kind, table] of Object.entries(OWNER_TABLES)) {
    if (!(await exists(pool, table))) continue; // a process serving a list of kinds without it
    const { rows } = await pool.query<{ stream: string }>(
      `SELECT c.stream FROM ${CLAIM_STREAMS_TABLE} c WHERE c.kind = $1
          AND NOT EXISTS (SELECT 1 FROM ${table} r WHERE r.id::text = c.resource_id) LIMIT ${BATCH}`,
      [kind],
    );
    for (const { stream } of rows) {
      await store.deleteStream(stream);
      await pool.query(`DELETE FROM ${CLAIM_STREAMS_TABLE} WHERE stream = $1`, [stream]);
      n++;
    }
  }
  return n;
}

async function sweepExpired(pool: pg.Pool, store: EventStore, now: Date): Promise<number> {
  const { rows } = await pool.query<{ stream: string; expires_at: string }>(
    `SELECT stream, expires_at::text FROM ${CLAIM_STREAMS_TABLE}
      WHERE kind = 'webhook' AND expires_at <= $1 ORDER BY expires_at LIMIT ${BATCH}`,
    [now],
  );
  let n = 0;
  for (const row of rows) if (await deleteIfExpired(pool, store, row.stream, row.expires_at, now)) n++;
  return n;
}

/** Deletes a dedup key's stream when its last claim has expired; `seen`: its row's expiry as read. */
async function deleteIfExpired(
  pool: pg.Pool,
  store: EventStore,
  stream: string,
  seen: string,
  now: Date,
): Promise<boolean> {
  const events = await store.readStream(stream);
  const last = events.findLast((e) => e.type === 'WebhookDeliveryClaimed');
  const expiresAt = (last?.data as unknown as WebhookDeliveryClaimedData | undefined)?.expiresAt;
  if (expiresAt && new Date(expiresAt) > now) {
    // claimed again since the row was written: its projection will move the expiry, do it now
    await pool.query(
      `UPDATE ${CLAIM_STREAMS_TABLE} SET expires_at = GREATEST(expires_at, $2) WHERE stream = $1`,
      [stream, expiresAt],
    );
    return false;
  }
  if (events.length > 0) {
    try {
      await store.deleteStream(stream, events.at(-1)!.revision);
    } catch (err) {
      if (err instanceof ConcurrencyError) return false; // a delivery claimed the key as we read it: kept
      throw err;
    }
  }
  // a claim after the delete starts the stream afresh and moves the row's expiry: then it stays
  await pool.query(`DELETE FROM ${CLAIM_STREAMS_TABLE} WHERE stream = $1 AND expires_at = $2::timestamptz`, [
    stream,
    seen,
  ]);
  return events.length > 0;
}

async function exists(pool: pg.Pool, table: string): Promise<boolean> {
  const { rows } = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  return rows[0]?.t != null;
}
