/**
 * What happens to a file in a collection (reference §5.8): one stream per file, `file-<uuid>`.
 * Events carry the file's name, owner, visibility, metadata and each version's size, SHA-256 and
 * blob key, never its content (the bytes live in the blob store under that key).
 */
import { streamName } from './stream-names.js';

export interface FileVersionData {
  readonly version: number;
  readonly blobKey: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly contentType: string;
  readonly uploadedBy: string;
}

export type FileEvent =
  | {
      readonly type: 'FileCreated';
      readonly data: {
        readonly fileId: string;
        readonly collectionId: string;
        readonly namespace: string;
        readonly collection: string;
        readonly name: string;
        readonly ownerId: string;
        readonly visibility: 'private' | 'shared';
        readonly metadata: Readonly<Record<string, unknown>>;
        readonly first: FileVersionData;
        readonly at: string;
      };
    }
  | {
      readonly type: 'FileVersionAdded';
      readonly data: { readonly fileId: string; readonly added: FileVersionData; readonly at: string };
    }
  | {
      readonly type: 'FileMetadataSet';
      readonly data: {
        readonly fileId: string;
        readonly metadata: Readonly<Record<string, unknown>>;
        readonly at: string;
      };
    }
  | { readonly type: 'FileDeleted'; readonly data: { readonly fileId: string; readonly at: string } };

export const FILE_CATEGORY = 'file';

export const fileStream = (fileId: string) => streamName(FILE_CATEGORY, fileId);
