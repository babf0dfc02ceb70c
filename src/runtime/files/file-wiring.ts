/**
 * Builds the file service and signed-URL maker on a process's ports: the blob store is Postgres
 * unless SINAS_BLOB_DIR names a directory; serve URLs start with SINAS_PUBLIC_URL, else
 * http://localhost:<PORT>.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ExecutionService } from '../../commands/execution/execution-service.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore } from '../../events/event-store.js';
import { FileQueries } from '../../projections/file-queries.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import type { Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FileService } from './file-service.js';
import { FileUrls } from './file-urls.js';
import { FsBlobStore } from './fs-blob-store.js';
import { PgBlobStore } from './pg-blob-store.js';
import { pgNameLock } from './name-lock.js';
import { postUpload } from './post-upload.js';
import { contentFilter } from './content-filter.js';
import { purgeCollectionFiles } from './collection-purge.js';
import type { Adapters } from '../services.js';

export interface FileParts {
  readonly collections: ResourceService;
  readonly eventStore: EventStore;
  readonly pool: pg.Pool;
  readonly waiter: ProjectionWaiter;
  readonly jwtSecret: string;
  /** runs a collection's content_filter_function and post_upload_function */
  readonly executions: ExecutionService;
  readonly log: Logger;
}

export const blobStoreOf = (config: Config, pool: pg.Pool): BlobStore =>
  config.files.blobDir ? new FsBlobStore(config.files.blobDir) : new PgBlobStore(pool);

/** the Collection kind's `afterDelete`: a deleted collection's files and their contents go */
export const collectionPurge = (a: Adapters, config: Config) =>
  purgeCollectionFiles({
    store: a.eventStore,
    waiter: a.waiter,
    consistencyTimeoutMs: config.consistencyTimeoutMs,
    files: new FileQueries(a.pool),
    blobs: blobStoreOf(config, a.pool),
  });

export function filesOn(p: FileParts, config: Config): { files: FileService; urls: FileUrls } {
  const urls = new FileUrls(p.jwtSecret, config.files.publicUrl ?? `http://localhost:${config.port}`);
  const files = new FileService({
    collections: p.collections,
    store: p.eventStore,
    files: new FileQueries(p.pool),
    blobs: blobStoreOf(config, p.pool),
    waiter: p.waiter,
    consistencyTimeoutMs: config.consistencyTimeoutMs,
    quotaUnitBytes: config.files.quotaUnitBytes,
    lock: pgNameLock(p.pool),
    contentFilter: contentFilter(p.executions, urls),
    afterUpload: postUpload(p.executions, p.log),
  });
  return { files, urls };
}
