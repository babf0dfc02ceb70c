/**
 * The index of claim streams that outlive their use: inbound webhook dedup keys
 * (`webhookdelivery-<webhook id>/<key hash>`, one per key ever delivered), schedule tick streams
 * (`schedtick-<schedule id>`) and database trigger poll streams (`dbtriggerpoll-<trigger id>`). The event store cannot list a category's streams on every adapter,
 * so this projection keeps one row per stream: which resource it belongs to, and for a dedup key
 * when its last claim expires. The sweep (stream-sweep.ts) reads it to delete expired keys and the
 * streams of deleted webhooks, schedules and triggers, and removes the rows of the streams it deleted.
 */
import { TRIGGER_POLL_CATEGORY, type BatchClaimedData } from '../../events/database-trigger-events.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { SCHEDULE_TICK_CATEGORY, type TickClaimedData } from '../../events/schedule-events.js';
import {
  WEBHOOK_DELIVERY_CATEGORY,
  type WebhookDeliveryClaimedData,
} from '../../events/webhook-delivery-events.js';
import type { Projection } from '../../projections/projection.js';

export const CLAIM_STREAMS_TABLE = 'claim_streams';

/** whose stream it is: a webhook's dedup key, a schedule's ticks, or a trigger's batches */
export type ClaimStreamKind = 'webhook' | 'schedule' | 'trigger';

interface Row {
  readonly stream: string;
  readonly kind: ClaimStreamKind;
  readonly resourceId: string;
  /** a dedup key's last claim's expiry; null for tick and poll streams (they live as long as their owner) */
  readonly expiresAt: string | null;
}

function rowOf(e: RecordedEvent): Row | undefined {
  if (e.type === 'WebhookDeliveryClaimed') {
    const d = e.data as unknown as WebhookDeliveryClaimedData;
    return { stream: e.streamName, kind: 'webhook', resourceId: d.webhookId, expiresAt: d.expiresAt };
  }
  // every claim, not only the first: a trimmed stream's first events may be gone before they are read
  if (e.type === 'ScheduleTickClaimed') {
    const d = e.data as unknown as TickClaimedData;
    return { stream: e.streamName, kind: 'schedule', resourceId: d.scheduleId, expiresAt: null };
  }
  if (e.type === 'DatabaseTriggerBatchClaimed') {
    const d = e.data as unknown as BatchClaimedData;
    return { stream: e.streamName, kind: 'trigger', resourceId: d.triggerId, expiresAt: null };
  }
  return undefined;
}

export function claimStreamsProjection(): Projection {
  return {
    name: 'claim_streams',
    version: 1,
    filter: {
      categories: [WEBHOOK_DELIVERY_CATEGORY, SCHEDULE_TICK_CATEGORY, TRIGGER_POLL_CATEGORY],
      eventTypes: ['WebhookDeliveryClaimed', 'ScheduleTickClaimed', 'DatabaseTriggerBatchClaimed'],
    },
    tables: [CLAIM_STREAMS_TABLE],
    createTables: (t) => `CREATE TABLE IF NOT EXISTS ${t[CLAIM_STREAMS_TABLE]} (
      stream text PRIMARY KEY,
      kind text NOT NULL,
      resource_id text NOT NULL,
      expires_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS ${t[CLAIM_STREAMS_TABLE]}_expiry ON ${t[CLAIM_STREAMS_TABLE]} (expires_at);`,
    async apply(tx, events, t) {
      for (const e of events) {
        const r = rowOf(e);
        if (!r) continue;
        // a tick or poll stream's row never changes: written once, not once per claim
        const onConflict =
          r.expiresAt === null
            ? 'DO NOTHING'
            : `DO UPDATE SET expires_at = GREATEST(${t[CLAIM_STREAMS_TABLE]}.expires_at, EXCLUDED.expires_at)`;
        await tx.query(
          `INSERT INTO ${t[CLAIM_STREAMS_TABLE]} (stream, kind, resource_id, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (stream) ${onConflict}`,
          [r.stream, r.kind, r.resourceId, r.expiresAt],
        );
      }
    },
  };
}
