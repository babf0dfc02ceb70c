/**
 * The `secrets` read model: one row per live secret with its metadata and its value as ciphertext
 * under the secret's data key (the worker decrypts it for shared-pool runs). `SecretDeleted` removes
 * the row and destroys the data key in the same transaction as the checkpoint, so a delete whose
 * command died before destroying the key is still shredded, exactly once the event is handled.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import { SECRET_CATEGORY, type SecretEvent } from '../events/secret-events.js';
import { idOf } from '../events/stream-names.js';
import { versionOfRevision } from '../events/versions.js';
import { destroyDataKey } from '../runtime/secrets/data-keys.js';
import type { Projection, TableNames } from './projection.js';

export interface SecretRow {
  readonly stream_id: string;
  readonly id: string;
  readonly name: string;
  readonly visibility: 'shared' | 'private';
  readonly owner_id: string;
  readonly description: string | null;
  readonly version: string;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export const secretsProjection: Projection = {
  name: 'secrets',
  version: 2, // 2: `version` counts from 1
  filter: { categories: [SECRET_CATEGORY] },
  tables: ['secrets'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.secrets} (
      stream_id text PRIMARY KEY,
      id uuid NOT NULL,
      name text NOT NULL,
      visibility text NOT NULL CHECK (visibility IN ('shared', 'private')),
      owner_id text NOT NULL,
      description text,
      value jsonb NOT NULL,
      version bigint NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      position bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${t.secrets}_name_idx ON ${t.secrets} (name);`,
  async apply(tx, events, t) {
    for (const e of events) await applyOne(tx, e, t);
  },
};

async function applyOne(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as unknown as SecretEvent;
  const key = idOf(e.streamName);
  const at = [versionOfRevision(e.revision), Number(e.position)];
  switch (ev.type) {
    case 'SecretCreated': {
      const d = ev.data;
      await tx.query(
        `INSERT INTO ${t.secrets} (stream_id, id, name, visibility, owner_id, description, value, version,
           created_at, updated_at, position) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $9, $10)
         ON CONFLICT (stream_id) DO UPDATE SET id = EXCLUDED.id, owner_id = EXCLUDED.owner_id,
           description = EXCLUDED.description, value = EXCLUDED.value, version = EXCLUDED.version,
           created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, position = EXCLUDED.position`,
        [
          key,
          d.secretId,
          d.name,
          d.visibility,
          d.ownerId,
          d.description,
          JSON.stringify(d.value),
          at[0],
          d.at,
          at[1],
        ],
      );
      return;
    }
    case 'SecretUpdated': {
      const c = ev.data.changes;
      await tx.query(
        `UPDATE ${t.secrets} SET value = COALESCE($2::jsonb, value),
           description = CASE WHEN $3 THEN $4 ELSE description END,
           updated_at = $5, version = $6, position = $7
         WHERE stream_id = $1 AND id = $8`,
        [
          key,
          c.value ? JSON.stringify(c.value) : null,
          'description' in c,
          c.description ?? null,
          ev.data.at,
          at[0],
          at[1],
          ev.data.secretId,
        ],
      );
      return;
    }
    case 'SecretDeleted':
      await tx.query(`DELETE FROM ${t.secrets} WHERE stream_id = $1 AND id = $2`, [key, ev.data.secretId]);
      await destroyDataKey(tx, ev.data.secretId);
      return;
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}
