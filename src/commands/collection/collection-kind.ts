/**
 * The Collection kind (reference §5.8) on the kit: a named place for files, with the rules every
 * upload is checked against (a JSON Schema for the files' metadata, per-file and total size
 * limits, which visibilities it takes, whether shared files are served publicly). The files
 * themselves are not part of the resource: they have their own streams (src/runtime/files/).
 */
import type { ResourceKind } from '../resource/resource-kind.js';
import type { JSONSchema } from '../validation.js';

const FUNCTION_REF: JSONSchema = {
  anyOf: [{ type: 'string', pattern: '^[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+$', maxLength: 511 }, { type: 'null' }],
  default: null,
};

export const COLLECTION_NAME = '^[a-zA-Z_][a-zA-Z0-9_-]*$';

export const COLLECTION_FIELDS: Readonly<Record<string, JSONSchema>> = {
  description: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }], default: null },
  metadata_schema: { type: 'object', default: {} },
  content_filter_function: FUNCTION_REF,
  post_upload_function: FUNCTION_REF,
  max_file_size_mb: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  max_total_size_gb: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
  is_public: { type: 'boolean', default: false },
  allow_shared_files: { type: 'boolean', default: true },
  allow_private_files: { type: 'boolean', default: true },
};

export const collectionKind: ResourceKind = {
  type: 'Collection',
  category: 'collection',
  table: 'collections',
  path: 'collections',
  resource: 'collections',
  fields: COLLECTION_FIELDS,
  namespacePattern: COLLECTION_NAME,
  namePattern: COLLECTION_NAME,
  nameMaxLength: 100,
  lifecycleApi: false,
};

/** A collection's rules, as uploads read them. */
export interface CollectionRules {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly metadataSchema: Readonly<Record<string, unknown>>;
  readonly maxFileBytes: number;
  readonly maxTotalBytes: number;
  readonly isPublic: boolean;
  readonly allowShared: boolean;
  readonly allowPrivate: boolean;
  /** "ns/name" of the function run after each upload, or null */
  readonly postUploadFunction: string | null;
  /** "ns/name" of the function that approves (or rewrites) each upload before it is stored, or null */
  readonly contentFilterFunction: string | null;
}

const MIB = 1024 * 1024;

/**
 * The rules of a collection item; `quotaUnitBytes` is what one unit of `max_total_size_gb` counts
 * for (1 GiB; smaller only as a test setting, SINAS_COLLECTION_QUOTA_UNIT_BYTES).
 */
export function rulesOf(
  item: {
    id: string;
    namespace: string;
    name: string;
    spec: Readonly<Record<string, unknown>>;
  },
  quotaUnitBytes = 1024 * MIB,
): CollectionRules {
  const s = item.spec;
  return {
    id: item.id,
    namespace: item.namespace,
    name: item.name,
    metadataSchema: (s.metadata_schema ?? {}) as Record<string, unknown>,
    maxFileBytes: Number(s.max_file_size_mb ?? 100) * MIB,
    maxTotalBytes: Number(s.max_total_size_gb ?? 10) * quotaUnitBytes,
    isPublic: s.is_public === true,
    allowShared: s.allow_shared_files !== false,
    allowPrivate: s.allow_private_files !== false,
    postUploadFunction: typeof s.post_upload_function === 'string' ? s.post_upload_function : null,
    contentFilterFunction: typeof s.content_filter_function === 'string' ? s.content_filter_function : null,
  };
}
