/**
 * Takes in the content parts of a posted message (reference §3.4) and decides what the chat's
 * event keeps: inline base64 goes to the blob store and the event holds its reference (key, size,
 * SHA-256); an image URL is kept as given for the provider to fetch (the platform never fetches it,
 * and a loopback or private address is refused); audio and file URLs are fetched once, now, through
 * the outbound guard (the provider format takes only bytes for those); a collection file id is
 * taken only when the poster may download that file (another user's private file is not found).
 * Every part is held to one size limit (413 naming the field).
 */
import { randomUUID } from 'node:crypto';
import {
  contentText,
  type ContentPartInput,
  type MessageContentInput,
} from '../../commands/chat/chat-schemas.js';
import type { MessageParts, PartAccess } from '../../commands/chat/chat-service.js';
import { itemPermission } from '../../commands/identity/permissions.js';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../../errors.js';
import type { BlobRef, PartSource, StoredPart } from '../../events/message-parts.js';
import { ownedBlobOf } from '../../events/message-parts.js';
import type { FileQueries } from '../../projections/file-queries.js';
import { putMeasured, type BlobStore } from '../files/blob-store.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import { decodeData, parseDataUrl } from './part-bytes.js';

export interface FetchedBytes {
  readonly bytes: Buffer;
  readonly mimeType: string | undefined;
}

export interface PartIntakeDeps {
  readonly blobs: BlobStore;
  readonly guard: OutboundGuard;
  /** GETs `url` through the guard, at most `maxBytes` (more: PayloadTooLargeError naming `field`) */
  readonly fetch: (url: string, field: string, maxBytes: number) => Promise<FetchedBytes>;
  readonly files: Pick<FileQueries, 'byId' | 'version'>;
  /** the largest part, decoded */
  readonly maxPartBytes: number;
}

export interface TakenContent {
  /** the message's text (its text parts joined) */
  readonly text: string;
  /** the parts, when any is not text */
  readonly parts?: readonly StoredPart[];
}

export class PartIntake implements MessageParts {
  constructor(private readonly d: PartIntakeDeps) {}

  async take(content: MessageContentInput, who: PartAccess, field = 'content'): Promise<TakenContent> {
    const text = contentText(content);
    if (typeof content === 'string' || content.every((p) => p.type === 'text')) return { text };
    const parts: StoredPart[] = [];
    try {
      for (const [i, p] of content.entries()) parts.push(await this.part(p, who, `${field}.${i}`));
    } catch (err) {
      await this.discard(parts);
      throw err;
    }
    return { text, parts };
  }

  /** removes the blobs of parts never recorded (their message was refused or a duplicate) */
  async discard(parts: readonly StoredPart[] | undefined): Promise<void> {
    for (const p of parts ?? []) {
      const b = ownedBlobOf(p);
      if (b) await this.d.blobs.delete(b.key);
    }
  }

  /**
   * The parts with every blob they own copied to a fresh key, so that a fork's message owns its
   * bytes: purging the original (or the fork) deletes only its own. A collection file's blob and
   * an image URL are shared as they were. A copy cut short removes what it had made.
   */
  async copy(parts: readonly StoredPart[]): Promise<readonly StoredPart[]> {
    const out: StoredPart[] = [];
    try {
      for (const p of parts) {
        const b = ownedBlobOf(p);
        if (!b || p.type === 'text') {
          out.push(p);
          continue;
        }
        const key = `message-part-${randomUUID()}`;
        await this.d.blobs.put(key, this.d.blobs.get(b.key));
        out.push({ ...p, source: { ...p.source, key } } as StoredPart);
      }
    } catch (err) {
      await this.discard(out);
      throw err;
    }
    return out;
  }

  private async part(p: ContentPartInput, who: PartAccess, field: string): Promise<StoredPart> {
    switch (p.type) {
      case 'text':
        return { type: 'text', text: need(p.text, `${field}.text`) };
      case 'image':
        return {
          type: 'image',
          source: await this.image(need(p.image, `${field}.image`), `${field}.image`),
          ...(p.detail ? { detail: p.detail } : {}),
        };
      case 'audio': {
        const format = need(p.format, `${field}.format`);
        const source = await this.bytesOf(
          p.data,
          p.url,
          undefined,
          who,
          field,
          ['data', 'url'],
          `audio/${format}`,
        );
        return { type: 'audio', format, source };
      }
      case 'file': {
        const source = await this.bytesOf(
          p.file_data,
          p.file_url,
          p.file_id,
          who,
          field,
          ['file_data', 'file_url', 'file_id'],
          p.mime_type,
        );
        const filename = p.filename ?? (source.kind === 'collection_file' ? source.name : 'file');
        return { type: 'file', filename, source };
      }
      default: {
        const unreachable: never = p.type;
        throw new ValidationError(`${field}.type: unknown part type ${String(unreachable)}`, `${field}.type`);
      }
    }
  }

  private async image(image: string, field: string): Promise<PartSource> {
    if (image.startsWith('data:')) {
      const { mimeType, data } = parseDataUrl(image, field);
      if (!mimeType.startsWith('image/'))
        throw new ValidationError(`${field}: a data URL of an image (image/…), not ${mimeType}`, field);
      return {
        kind: 'inline',
        ...(await this.store(decodeData(data, field, this.d.maxPartBytes), mimeType, field)),
      };
    }
    // passed through: the provider fetches it; a URL the platform could not call is refused all the same
    const url = await this.d.guard.check(image, field);
    return { kind: 'url', url: url.href };
  }

  /** exactly one of base64 `data`, `url` or a collection `fileId` */
  private async bytesOf(
    data: string | undefined,
    url: string | undefined,
    fileId: string | undefined,
    who: PartAccess,
    field: string,
    names: readonly string[],
    mimeType: string | undefined,
  ): Promise<Exclude<PartSource, { kind: 'url' }>> {
    const given = [data, url, fileId].filter((x) => x !== undefined).length;
    if (given !== 1)
      throw new ValidationError(`${field}: give exactly one of ${names.join(', ')}`, `${field}.${names[0]}`);
    if (fileId !== undefined) return this.collectionFile(fileId, who, `${field}.${names[2]}`);
    if (url !== undefined) {
      const f = `${field}.${names[1]}`;
      const got = await this.d.fetch(url, f, this.d.maxPartBytes);
      const stored = await this.store(got.bytes, mimeType ?? got.mimeType ?? 'application/octet-stream', f);
      return { kind: 'fetched', url, ...stored };
    }
    const f = `${field}.${names[0]}`;
    const inline = data!.startsWith('data:') ? parseDataUrl(data!, f) : { mimeType, data: data! };
    const bytes = decodeData(inline.data, f, this.d.maxPartBytes);
    return {
      kind: 'inline',
      ...(await this.store(bytes, inline.mimeType ?? mimeType ?? 'application/octet-stream', f)),
    };
  }

  private async collectionFile(fileId: string, who: PartAccess, field: string) {
    const missing = new NotFoundError(`file '${fileId}' not found`, field);
    const file = await this.d.files.byId(fileId);
    if (!file) throw missing;
    const item = { namespaced: true, namespace: file.namespace, name: file.collection };
    const visible =
      (file.visibility === 'shared' || file.owner_id === who.userId
        ? who.may(itemPermission('collections', item, 'download', 'own'))
        : false) || who.may(itemPermission('collections', item, 'download', 'all'));
    if (!visible) throw missing;
    const v = await this.d.files.version(file.id, file.current_version);
    if (!v) throw missing;
    const size = Number(v.size_bytes);
    if (size > this.d.maxPartBytes)
      throw new PayloadTooLargeError(
        `${field}: the file is larger than a part may be (${this.d.maxPartBytes} bytes)`,
        field,
      );
    return {
      kind: 'collection_file' as const,
      file_id: file.id,
      version: v.version_number,
      namespace: file.namespace,
      collection: file.collection,
      name: file.name,
      key: v.blob_key,
      sha256: v.hash_sha256,
      size,
      mime_type: v.content_type,
    };
  }

  private async store(bytes: Buffer, mimeType: string, field: string): Promise<BlobRef> {
    if (bytes.length > this.d.maxPartBytes)
      throw new PayloadTooLargeError(
        `${field}: larger than a part may be (${this.d.maxPartBytes} bytes)`,
        field,
      );
    const key = `message-part-${randomUUID()}`;
    const m = await putMeasured(this.d.blobs, key, [bytes], this.d.maxPartBytes);
    return { key, sha256: m.sha256, size: m.size, mime_type: mimeType };
  }
}

function need<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new ValidationError(`${field}: required`, field);
  return value;
}
