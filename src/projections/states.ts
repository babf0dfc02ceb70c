/**
 * The `states` read model (reference §5.7): one row per live state, what listing, filters and stored
 * context read. An encrypted state's row holds its sealed value, never the plaintext. A deleted
 * state's row goes. A deleted store's rows go on `StoreStatesDropped`, recorded once its states'
 * data keys were found from these rows and destroyed (reads go by the live store's id meanwhile,
 * so a store made again under that name starts empty).
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import { STATE_CATEGORY, type StateEvent, type StoreStatesDropped } from '../events/state-events.js';
import { versionOfRevision } from '../events/versions.js';
import type { Projection, TableNames } from './projection.js';

export const statesProjection: Projection = {
  name: 'states',
  version: 1,
  filter: { categories: [STATE_CATEGORY] },
  tables: ['states'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.states} (
      stream text PRIMARY KEY,
      id uuid NOT NULL,
      store_id uuid NOT NULL,
      store_namespace text NOT NULL,
      store_name text NOT NULL,
      user_id text NOT NULL,
      key text NOT NULL,
      value jsonb,
      sealed jsonb,
      visibility text NOT NULL,
      description text,
      tags text[] NOT NULL DEFAULT '{}',
      relevance_score double precision NOT NULL,
      expires_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      version bigint NOT NULL,
      position bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${t.states}_store_idx ON ${t.states} (store_id, user_id, key);
    CREATE INDEX IF NOT EXISTS ${t.states}_shared_idx ON ${t.states} (store_id, key) WHERE visibility = 'shared';`,
  async apply(tx, events, t) {
    for (const e of events) await applyOne(tx, e, t);
  },
};

async function applyOne(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  if (e.type === 'StoreStatesDropped') {
    const d = e.data as unknown as StoreStatesDropped['data'];
    await tx.query(`DELETE FROM ${t.states} WHERE store_id = $1`, [d.storeId]);
    return;
  }
  const ev = { type: e.type, data: e.data } as StateEvent;
  switch (ev.type) {
    case 'StateSaved': {
      const s = ev.data;
      await tx.query(
        `INSERT INTO ${t.states} (stream, id, store_id, store_namespace, store_name, user_id, key, value, sealed,
           visibility, description, tags, relevance_score, expires_at, created_at, updated_at, version, position)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9::jsonb,$10,$11,$12,$13,$14,$15,$16,$17,$18)
         ON CONFLICT (stream) DO UPDATE SET id = EXCLUDED.id, value = EXCLUDED.value, sealed = EXCLUDED.sealed,
           visibility = EXCLUDED.visibility, description = EXCLUDED.description, tags = EXCLUDED.tags,
           relevance_score = EXCLUDED.relevance_score, expires_at = EXCLUDED.expires_at,
           created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
           version = EXCLUDED.version, position = EXCLUDED.position`,
        [
          e.streamName,
          s.stateId,
          s.storeId,
          s.storeNamespace,
          s.storeName,
          s.userId,
          s.key,
          s.sealed ? null : JSON.stringify(s.value ?? null),
          s.sealed ? JSON.stringify(s.sealed) : null,
          s.visibility,
          s.description,
          s.tags,
          s.relevanceScore,
          s.expiresAt,
          s.createdAt,
          s.updatedAt,
          versionOfRevision(e.revision),
          e.position,
        ],
      );
      return;
    }
    case 'StateDeleted':
      await tx.query(`DELETE FROM ${t.states} WHERE stream = $1`, [e.streamName]);
      return;
    default: {
      const unreachable: never = ev;
      throw new Error(`unknown state event ${JSON.stringify(unreachable)}`);
    }
  }
}
