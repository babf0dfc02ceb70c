/**
 * The `files` and `file_versions` read models (reference §5.8): one row per live file (name, owner,
 * visibility, metadata, current version) and one per version (size, SHA-256, blob key). A deleted
 * file's rows go; its blobs are the file service's to remove. One statement per event.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import type { FileEvent, FileVersionData } from '../events/file-events.js';
import type { Projection, TableNames } from './projection.js';

export const filesProjection: Projection = {
  name: 'files',
  version: 1,
  filter: { categories: ['file'] },
  tables: ['files', 'file_versions'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.files} (
      id uuid PRIMARY KEY,
      collection_id uuid NOT NULL,
      namespace text NOT NULL,
      collection text NOT NULL,
      name text NOT NULL,
      owner_id text NOT NULL,
      visibility text NOT NULL,
      content_type text NOT NULL,
      current_version int NOT NULL,
      file_metadata jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      position bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${t.files}_name_idx ON ${t.files} (collection_id, name);
    CREATE TABLE IF NOT EXISTS ${t.file_versions} (
      file_id uuid NOT NULL,
      version_number int NOT NULL,
      blob_key text NOT NULL,
      size_bytes bigint NOT NULL,
      hash_sha256 text NOT NULL,
      content_type text NOT NULL,
      uploaded_by text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (file_id, version_number)
    );`,
  async apply(tx, events, t) {
    for (const e of events) await applyOne(tx, e, t);
  },
};

async function applyOne(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as FileEvent;
  const position = String(e.position);
  switch (ev.type) {
    case 'FileCreated': {
      const d = ev.data;
      await tx.query(
        `INSERT INTO ${t.files} (id, collection_id, namespace, collection, name, owner_id, visibility,
           content_type, current_version, file_metadata, created_at, updated_at, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) ON CONFLICT (id) DO NOTHING`,
        [
          d.fileId,
          d.collectionId,
          d.namespace,
          d.collection,
          d.name,
          d.ownerId,
          d.visibility,
          d.first.contentType,
          d.first.version,
          JSON.stringify(d.metadata),
          d.at,
          position,
        ],
      );
      return addVersion(tx, t, d.fileId, d.first, d.at);
    }
    case 'FileVersionAdded':
      await tx.query(
        `UPDATE ${t.files} SET current_version = $2, content_type = $3, updated_at = $4, position = $5 WHERE id = $1`,
        [ev.data.fileId, ev.data.added.version, ev.data.added.contentType, ev.data.at, position],
      );
      return addVersion(tx, t, ev.data.fileId, ev.data.added, ev.data.at);
    case 'FileMetadataSet':
      await tx.query(
        `UPDATE ${t.files} SET file_metadata = $2, updated_at = $3, position = $4 WHERE id = $1`,
        [ev.data.fileId, JSON.stringify(ev.data.metadata), ev.data.at, position],
      );
      return;
    case 'FileDeleted':
      await tx.query(`DELETE FROM ${t.files} WHERE id = $1`, [ev.data.fileId]);
      await tx.query(`DELETE FROM ${t.file_versions} WHERE file_id = $1`, [ev.data.fileId]);
      return;
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}

async function addVersion(
  tx: pg.PoolClient,
  t: TableNames,
  fileId: string,
  v: FileVersionData,
  at: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${t.file_versions} (file_id, version_number, blob_key, size_bytes, hash_sha256, content_type, uploaded_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
    [fileId, v.version, v.blobKey, v.sizeBytes, v.sha256, v.contentType, v.uploadedBy, at],
  );
}
