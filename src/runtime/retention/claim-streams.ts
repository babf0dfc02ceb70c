/**
 * The index of claim streams that outlive their use: inbound webhook dedup keys
 * (`webhookdelivery-<webhook id>/<key hash>`, one per key ever delivered) and schedule tick streams
 * (`schedtick-<schedule id>`). The event store cannot list a category's streams on every adapter,
 * so this projection keeps one row per stream: which resource it belongs to, and for a dedup key
 * when its last claim expires. The sweep (stream-sweep.ts) reads it to delete expired keys and the
 * streams of deleted webhooks and schedules, and removes the rows of the streams it deleted.
 */
import type { RecordedEvent } from '../../events/event-store.js';
import { SCHEDULE_TICK_CATEGORY, type TickClaimedData } from '../../events/schedule-events.js';
import {
  WEBHOOK_DELIVERY_CATEGORY,
  type WebhookDeliveryClaimedData,
} from '../../events/webhook-delivery-events.js';
import type { Projection } from '../../projections/projection.js';

export const CLAIM_STREAMS_TABLE = 'claim_streams';

/** whose stream it is: a webhook's dedup key, or a schedule's ticks */
export type ClaimStreamKind = 'webhook' | 'schedule';

interface Row {
  readonly stream: string;
  readonly kind: ClaimStreamKind;
  readonly resourceId: string;
  /** a dedup key's last claim's expiry; null for tick streams (they live as long as the schedule) */
  readonly expiresAt: string | null;
}

function rowOf(e: RecordedEvent): Row | undefined {
  if (e.type === 'WebhookDeliveryClaimed') {
    const d = e.data as unknown as WebhookDeliveryClaimedData;
    return { stream: e.streamName, kind: 'webhook', resourceId: d.webhookId, expiresAt: d.expiresAt };
  }
  // a tick stream needs indexing once: when it begins
  if (e.type === 'ScheduleTickClaimed' && e.revision === 0n) {
    const d = e.data as unknown as TickClaimedData;
    return { stream: e.streamName, kind: 'schedule', resourceId: d.scheduleId, expiresAt: null };
  }
  return undefined;
}

export function claimStreamsProjection(): Projection {
  return {
    name: 'claim_streams',
    version: 1,
    filter: {
      categories: [WEBHOOK_DELIVERY_CATEGORY, SCHEDULE_TICK_CATEGORY],
      eventTypes: ['WebhookDeliveryClaimed', 'ScheduleTickClaimed'],
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
        await tx.query(
          `INSERT INTO ${t[CLAIM_STREAMS_TABLE]} (stream, kind, resource_id, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (stream) DO UPDATE SET expires_at = GREATEST(${t[CLAIM_STREAMS_TABLE]}.expires_at, EXCLUDED.expires_at)`,
          [r.stream, r.kind, r.resourceId, r.expiresAt],
        );
      }
    },
  };
}
