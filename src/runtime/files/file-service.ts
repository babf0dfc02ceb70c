/**
 * The files of collections (reference §5.8): upload (a new file, or a new version of a visible one),
 * read, list, set metadata, delete. Bytes go to the blob store first, measured (size limit → 413)
 * and hashed; then one event records the version with its size, SHA-256 and blob key; the read
 * model answers follow-up reads once it has caught up (read-your-writes). A blob whose event was
 * never written is removed before the error is rethrown.
 */
import { randomUUID } from 'node:crypto';
import { rulesOf, type CollectionRules } from '../../commands/collection/collection-kind.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { compile } from '../../commands/validation.js';
import { ForbiddenError, NotFoundError, PayloadTooLargeError, ValidationError } from '../../errors.js';
import type { EventStore, ExpectedRevision } from '../../events/event-store.js';
import { fileStream, type FileEvent, type FileVersionData } from '../../events/file-events.js';
import type { FileQueries, FileRow, VersionRow, Viewer } from '../../projections/file-queries.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import { putMeasured, type BlobStore } from './blob-store.js';
import { checkFileName, uniqueName } from './file-names.js';
import type { NameLock } from './name-lock.js';
import { searchFiles, type SearchRequest } from './file-search.js';
import { recordFileEvent } from './record-file-event.js';
import type { ContentFilter } from './content-filter.js';

/** the largest text searched or edited in memory */
const TEXT_LIMIT = 10 * 1024 * 1024;

export interface FileServiceDeps {
  readonly collections: ResourceService;
  readonly store: EventStore;
  readonly files: FileQueries;
  readonly blobs: BlobStore;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  /** serialises the uploads into one collection: names and quota (name-lock.ts) */
  readonly lock: NameLock;
  /** bytes per unit of `max_total_size_gb` (config.files.quotaUnitBytes) */
  readonly quotaUnitBytes?: number;
  /** what decides on an upload before it is stored (the collection's content_filter_function) */
  readonly contentFilter?: ContentFilter;
  /** what runs after a stored upload (the collection's post_upload_function) */
  readonly afterUpload?: AfterUpload;
}

export type AfterUpload = (u: {
  readonly rules: CollectionRules;
  readonly file: FileRow;
  readonly version: number;
  readonly actor: string;
}) => Promise<void>;

export interface Upload {
  readonly namespace: string;
  readonly collection: string;
  readonly name: string;
  readonly contentType: string;
  readonly visibility: 'private' | 'shared';
  readonly metadata: Readonly<Record<string, unknown>>;
  /** a visible file of that name gets a new version (else the upload gets a unique name) */
  readonly updateExisting: boolean;
}

/** the caller: `all` holds the action's `:all` (sees and changes every user's files) */
export type Caller = Viewer;

export interface Stored {
  readonly file: FileRow;
  readonly created: boolean;
  readonly version: VersionRow;
}

export class FileService {
  constructor(private readonly d: FileServiceDeps) {}

  /** the collection's rules; `create`: made with defaults, owned by the caller, when it does not exist */
  async collection(namespace: string, name: string, create?: Caller): Promise<CollectionRules> {
    try {
      return rulesOf(await this.d.collections.at(namespace, name), this.d.quotaUnitBytes);
    } catch (err) {
      if (!(err instanceof NotFoundError) || !create) throw err;
    }
    const id = randomUUID();
    await this.d.collections
      .create({ namespace, name }, { commandId: id, actor: create.userId })
      .catch((err: unknown) => (isExists(err) ? undefined : Promise.reject(err))); // another upload made it
    return rulesOf(await this.d.collections.at(namespace, name), this.d.quotaUnitBytes);
  }

  async upload(
    u: Upload,
    body: AsyncIterable<Buffer | string> | Iterable<Buffer>,
    who: Caller,
  ): Promise<Stored> {
    checkFileName(u.name);
    const rules = await this.collection(u.namespace, u.collection, who);
    if (u.visibility === 'shared' && !rules.allowShared)
      throw new ValidationError('this collection does not allow shared files', 'visibility');
    if (u.visibility === 'private' && !rules.allowPrivate)
      throw new ValidationError('this collection does not allow private files', 'visibility');
    checkMetadata(rules, u.metadata);
    const blobKey: string = randomUUID();
    let blob: PendingBlob = {
      blobKey,
      ...(await putMeasured(this.d.blobs, blobKey, body, rules.maxFileBytes)),
    };
    let stored: Stored;
    try {
      const checked = await this.filtered(rules, u, blob, who);
      if (checked.replacement) blob = await this.replaced(blob, checked.replacement, rules.maxFileBytes);
      const upload = { ...u, metadata: checked.metadata };
      stored = await this.d.lock(rules.id, () => this.record(rules, upload, who, blob));
    } catch (err) {
      await this.d.blobs.delete(blob.blobKey);
      throw err;
    }
    const { file } = stored;
    await this.d.afterUpload?.({ rules, file, version: file.current_version, actor: who.userId });
    return stored;
  }

  /** the content filter's verdict on pending bytes (none configured: as uploaded) */
  private async filtered(rules: CollectionRules, u: Upload, blob: PendingBlob, who: Caller) {
    if (!rules.contentFilterFunction || !this.d.contentFilter) return { metadata: u.metadata };
    return this.d.contentFilter({
      rules,
      namespace: u.namespace,
      collection: u.collection,
      filename: u.name,
      contentType: u.contentType,
      metadata: u.metadata,
      blob,
      read: () => this.whole(blob.blobKey),
      actor: who.userId,
    });
  }

  /** the filter's modified_content stored under a fresh key in place of the pending bytes */
  private async replaced(old: PendingBlob, bytes: Buffer, maxBytes: number): Promise<PendingBlob> {
    const blobKey = randomUUID();
    const m = await putMeasured(this.d.blobs, blobKey, [bytes], maxBytes);
    await this.d.blobs.delete(old.blobKey);
    return { blobKey, ...m };
  }

  private async whole(blobKey: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this.d.blobs.get(blobKey)) parts.push(c);
    return Buffer.concat(parts);
  }

  /** decides the name (a new version, the name asked for, or a suffixed one) and records the version */
  private async record(
    rules: CollectionRules,
    u: Upload,
    who: Caller,
    m: { blobKey: string; size: number; sha256: string },
  ): Promise<Stored> {
    const existing = u.updateExisting ? await this.d.files.find(rules.id, u.name, who) : undefined;
    const name = existing
      ? existing.name
      : (await this.d.files.taken(rules.id, u.name, who.userId, u.visibility === 'shared'))
        ? uniqueName(u.name)
        : u.name;
    if ((await this.d.files.totalBytes(rules.id)) + m.size > rules.maxTotalBytes)
      throw new PayloadTooLargeError(
        `the collection's quota of ${rules.maxTotalBytes} bytes would be exceeded`,
      );
    const v = {
      blobKey: m.blobKey,
      sizeBytes: m.size,
      sha256: m.sha256,
      contentType: u.contentType,
      uploadedBy: who.userId,
    };
    const fileId = existing
      ? await this.addVersion(existing.id, v, who.userId)
      : await this.create(rules, { ...u, name }, v, who.userId);
    const file = (await this.d.files.byId(fileId))!;
    return { file, created: !existing, version: (await this.d.files.version(fileId, file.current_version))! };
  }

  /** the file as the caller sees it, at `version` (default: its current one) */
  async open(rules: CollectionRules, name: string, who: Caller, version?: number) {
    const file = await this.d.files.find(rules.id, name, who);
    if (!file) throw new NotFoundError(`file '${name}' not found`, 'filename');
    const v = await this.d.files.version(file.id, version ?? file.current_version);
    if (!v) throw new NotFoundError(`version ${version} of '${name}' not found`, 'version');
    return { file, version: v };
  }

  /** a version by file id (a signed link's claim); a deleted file's is gone */
  async versionOf(fileId: string, version: number): Promise<VersionRow> {
    const v = await this.d.files.version(fileId, version);
    if (!v || !(await this.d.files.byId(fileId))) throw new NotFoundError('file not found', 'token');
    return v;
  }

  /** the current version of a shared file in a public collection; anything else is not found */
  async publicVersion(namespace: string, collection: string, name: string): Promise<VersionRow> {
    const missing = new NotFoundError('file not found', 'filename');
    const rules = await this.collection(namespace, collection).catch((err: unknown) =>
      Promise.reject(err instanceof NotFoundError ? missing : err),
    );
    if (!rules.isPublic) throw missing;
    const file = await this.d.files.find(rules.id, name, { userId: '', all: false }); // shared files only
    if (!file) throw missing;
    return (await this.d.files.version(file.id, file.current_version))!;
  }

  /** a version's text, or undefined past `maxBytes` (not searched, not edited) */
  async text(v: VersionRow, maxBytes = TEXT_LIMIT): Promise<string | undefined> {
    if (Number(v.size_bytes) > maxBytes) return undefined;
    const parts: Buffer[] = [];
    for await (const c of this.bytes(v)) parts.push(c);
    return Buffer.concat(parts).toString('utf8');
  }

  async search(rules: CollectionRules, q: SearchRequest, who: Caller) {
    return searchFiles(
      {
        list: () => this.d.files.list(rules.id, who),
        current: (f) => this.d.files.version(f.id, f.current_version),
        text: (v) => this.text(v),
      },
      q,
    );
  }

  /** the bytes of a version, streamed */
  bytes(v: VersionRow): AsyncIterable<Buffer> {
    return this.d.blobs.get(v.blob_key);
  }

  /** the bytes under a blob key (a pending upload's); a removed blob is not found */
  async pendingBytes(blobKey: string, size: number): Promise<AsyncIterable<Buffer>> {
    const it = this.d.blobs.get(blobKey)[Symbol.asyncIterator]();
    let first: IteratorResult<Buffer>;
    try {
      first = await it.next();
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') throw new NotFoundError('file not found', 'token');
      throw err;
    }
    if (first.done && size > 0) throw new NotFoundError('file not found', 'token');
    return (async function* () {
      if (!first.done) yield first.value;
      for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
    })();
  }

  async list(rules: CollectionRules, who: Caller) {
    const files = await this.d.files.list(rules.id, who);
    const versions = await this.d.files.versions(files.map((f) => f.id));
    return files.map((file) => ({ file, versions: versions.filter((v) => v.file_id === file.id) }));
  }

  async setMetadata(rules: CollectionRules, name: string, metadata: Record<string, unknown>, who: Caller) {
    const { file } = await this.open(rules, name, who);
    mayChange(file, who);
    checkMetadata(rules, metadata);
    const at = new Date().toISOString();
    await this.append(
      file.id,
      { type: 'FileMetadataSet', data: { fileId: file.id, metadata, at } },
      'exists',
      who.userId,
    );
    return (await this.d.files.byId(file.id))!;
  }

  async remove(rules: CollectionRules, name: string, who: Caller): Promise<void> {
    const { file } = await this.open(rules, name, who);
    mayChange(file, who);
    const keys = (await this.d.files.versions([file.id])).map((v) => v.blob_key);
    const at = new Date().toISOString();
    await this.append(file.id, { type: 'FileDeleted', data: { fileId: file.id, at } }, 'exists', who.userId);
    for (const k of keys) await this.d.blobs.delete(k);
  }

  private async create(
    rules: CollectionRules,
    u: Upload,
    v: Omit<FileVersionData, 'version'>,
    actor: string,
  ) {
    const fileId = randomUUID();
    const at = new Date().toISOString();
    const data = {
      fileId,
      collectionId: rules.id,
      namespace: rules.namespace,
      collection: rules.name,
      name: u.name,
      ownerId: actor,
      visibility: u.visibility,
      metadata: u.metadata,
      first: { ...v, version: 1 },
      at,
    };
    await this.append(fileId, { type: 'FileCreated', data }, 'no_stream', actor);
    return fileId;
  }

  private async addVersion(fileId: string, v: Omit<FileVersionData, 'version'>, actor: string) {
    const events = await this.d.store.readStream(fileStream(fileId));
    if (events.some((e) => e.type === 'FileDeleted'))
      throw new NotFoundError('the file was deleted', 'filename');
    const version =
      events.filter((e) => e.type === 'FileCreated' || e.type === 'FileVersionAdded').length + 1;
    const at = new Date().toISOString();
    const event: FileEvent = { type: 'FileVersionAdded', data: { fileId, added: { ...v, version }, at } };
    await this.append(fileId, event, events.at(-1)!.revision, actor);
    return fileId;
  }

  private append(fileId: string, e: FileEvent, expected: ExpectedRevision, actor: string) {
    return recordFileEvent(this.d, fileId, e, expected, actor);
  }
}

interface PendingBlob {
  readonly blobKey: string;
  readonly size: number;
  readonly sha256: string;
}

/** only the owner changes a file, or whoever holds the action's `:all` */
function mayChange(file: FileRow, who: Caller): void {
  if (file.owner_id !== who.userId && !who.all)
    throw new ForbiddenError(`only the owner of '${file.name}' may change it`);
}

function checkMetadata(rules: CollectionRules, metadata: Readonly<Record<string, unknown>>): void {
  if (Object.keys(rules.metadataSchema).length === 0) return;
  const v = compile(rules.metadataSchema);
  if (!v(metadata)) {
    const e = v.errors?.[0];
    throw new ValidationError(
      `file_metadata${e?.instancePath ?? ''}: ${e?.message ?? 'does not match the collection’s metadata_schema'}`,
      'file_metadata',
    );
  }
}

const isExists = (err: unknown) => (err as { code?: string } | null)?.code === 'already_exists';
