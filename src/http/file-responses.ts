/** The JSON shapes of files and their versions (reference §5.8 FileResponse, FileWithVersions). */
import type { FileRow, VersionRow } from '../projections/file-queries.js';

export const FILE_RESPONSE = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    namespace: { type: 'string' },
    collection: { type: 'string' },
    name: { type: 'string' },
    user_id: { type: 'string' },
    content_type: { type: 'string' },
    current_version: { type: 'integer' },
    file_metadata: { type: 'object' },
    visibility: { type: 'string', enum: ['private', 'shared'] },
    size_bytes: { type: 'integer' },
    hash_sha256: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

export const VERSION_RESPONSE = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    file_id: { type: 'string' },
    version_number: { type: 'integer' },
    size_bytes: { type: 'integer' },
    hash_sha256: { type: 'string' },
    uploaded_by: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;

export function fileResponse(f: FileRow, current?: VersionRow) {
  return {
    id: f.id,
    namespace: f.namespace,
    collection: f.collection,
    name: f.name,
    user_id: f.owner_id,
    content_type: f.content_type,
    current_version: f.current_version,
    file_metadata: f.file_metadata,
    visibility: f.visibility,
    ...(current ? { size_bytes: Number(current.size_bytes), hash_sha256: current.hash_sha256 } : {}),
    created_at: f.created_at.toISOString(),
    updated_at: f.updated_at.toISOString(),
  };
}

export function versionResponse(v: VersionRow) {
  return {
    id: v.blob_key,
    file_id: v.file_id,
    version_number: v.version_number,
    size_bytes: Number(v.size_bytes),
    hash_sha256: v.hash_sha256,
    uploaded_by: v.uploaded_by,
    created_at: v.created_at.toISOString(),
  };
}
