/**
 * The `event_subscriptions` read model: one row per live subscription, its signing secret sealed
 * (the delivery worker opens it; the API never selects it). `created_position` is where delivery
 * starts: the events after the subscription was created.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import {
  EVENT_SUBSCRIPTION_CATEGORY,
  type EventSubscriptionEvent,
} from '../events/event-subscription-events.js';
import { versionOfRevision } from '../events/versions.js';
import type { Projection, TableNames } from './projection.js';

export interface EventSubscriptionRow {
  readonly id: string;
  readonly owner_id: string;
  readonly url: string;
  readonly event_types: string[];
  readonly categories: string[];
  readonly description: string | null;
  readonly active: boolean;
  readonly scope: 'own' | 'all';
  readonly version: string;
  readonly created_position: string;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const COLUMN: Readonly<Record<string, string>> = {
  url: 'url',
  eventTypes: 'event_types',
  categories: 'categories',
  description: 'description',
  active: 'active',
};

export const eventSubscriptionsProjection: Projection = {
  name: 'event_subscriptions',
  version: 2, // 2: `version` counts from 1
  filter: { categories: [EVENT_SUBSCRIPTION_CATEGORY] },
  tables: ['event_subscriptions'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.event_subscriptions} (
      id uuid PRIMARY KEY,
      owner_id text NOT NULL,
      url text NOT NULL,
      event_types jsonb NOT NULL,
      categories jsonb NOT NULL,
      description text,
      active boolean NOT NULL,
      scope text NOT NULL CHECK (scope IN ('own', 'all')),
      secret jsonb NOT NULL,
      version bigint NOT NULL,
      created_position bigint NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${t.event_subscriptions}_owner_idx ON ${t.event_subscriptions} (owner_id);`,
  async apply(tx, events, t) {
    for (const e of events) await applyOne(tx, e, t);
  },
};

async function applyOne(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as unknown as EventSubscriptionEvent;
  const table = t.event_subscriptions;
  switch (ev.type) {
    case 'EventSubscriptionCreated': {
      const d = ev.data;
      await tx.query(
        `INSERT INTO ${table} (id, owner_id, url, event_types, categories, description, active, scope, secret,
           version, created_position, created_at, updated_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9::jsonb, $10, $11, $12, $12)
         ON CONFLICT (id) DO NOTHING`,
        [
          d.subscriptionId,
          d.ownerId,
          d.url,
          JSON.stringify(d.eventTypes),
          JSON.stringify(d.categories),
          d.description,
          d.active,
          d.scope,
          JSON.stringify(d.secret),
          versionOfRevision(e.revision),
          String(e.position),
          d.at,
        ],
      );
      return;
    }
    case 'EventSubscriptionUpdated': {
      const sets: string[] = [];
      const values: unknown[] = [ev.data.subscriptionId, versionOfRevision(e.revision), ev.data.at];
      for (const [k, v] of Object.entries(ev.data.changes)) {
        const column = COLUMN[k];
        if (!column || v === undefined) continue;
        values.push(Array.isArray(v) ? JSON.stringify(v) : v);
        sets.push(`${column} = $${values.length}${Array.isArray(v) ? '::jsonb' : ''}`);
      }
      await tx.query(
        `UPDATE ${table} SET ${[...sets, 'version = $2', 'updated_at = $3'].join(', ')} WHERE id = $1`,
        values,
      );
      return;
    }
    case 'EventSubscriptionDeleted':
      await tx.query(`DELETE FROM ${table} WHERE id = $1`, [ev.data.subscriptionId]);
      return;
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}
