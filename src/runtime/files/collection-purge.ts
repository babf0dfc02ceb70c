/**
 * A deleted collection's files go with it (reference §5.8: delete is a hard delete): each live file
 * gets a `FileDeleted` event (its rows leave the read models, a rebuild agrees; the events stay as
 * history), then its versions' blobs are removed, so the contents are gone. Runs as the Collection
 * kind's `afterDelete`. An upload that was already past its collection lookup when the delete
 * landed can still add a file afterwards (not locked against; such a file is unreachable by name
 * once the collection is made again, which gets a new id).
 */
import type { FileQueries } from '../../projections/file-queries.js';
import type { BlobStore } from './blob-store.js';
import { recordFileEvent, type FileRecorder } from './record-file-event.js';

export interface PurgeParts extends FileRecorder {
  readonly files: FileQueries;
  readonly blobs: BlobStore;
}

export function purgeCollectionFiles(p: PurgeParts): (collectionId: string) => Promise<void> {
  return async (collectionId) => {
    for (const fileId of await p.files.idsOfCollection(collectionId)) {
      const keys = (await p.files.versions([fileId])).map((v) => v.blob_key);
      const at = new Date().toISOString();
      // a file its owner deleted a moment ago gets a second FileDeleted: the read model ignores it
      await recordFileEvent(p, fileId, { type: 'FileDeleted', data: { fileId, at } }, 'exists', 'system');
      for (const k of keys) await p.blobs.delete(k);
    }
  };
}
