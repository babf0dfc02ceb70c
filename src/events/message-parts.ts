/**
 * Content parts of a user message as the chat's events record them (reference §3.4): never the
 * bytes, only a reference to a blob with its size and SHA-256, so events stay small and a replayed
 * chat still finds what the model saw. An image URL is kept as given (the provider fetches it).
 */

/** Bytes stored in the blob store under `key` (a fresh key per part, never overwritten). */
export interface BlobRef {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  readonly mime_type: string;
}

/** Where a part's bytes came from. */
export type PartSource =
  /** passed to the provider as a URL (images only); never fetched by the platform */
  | { readonly kind: 'url'; readonly url: string }
  /** inline base64 (or a data URL), stored as a blob */
  | ({ readonly kind: 'inline' } & BlobRef)
  /** fetched from `url` through the outbound guard when the message was posted, stored as a blob */
  | ({ readonly kind: 'fetched'; readonly url: string } & BlobRef)
  /** a version of a collection file (reference §5.8) the poster could download */
  | ({
      readonly kind: 'collection_file';
      readonly file_id: string;
      readonly version: number;
      readonly namespace: string;
      readonly collection: string;
      readonly name: string;
    } & BlobRef);

export type AudioFormat = 'wav' | 'mp3' | 'm4a' | 'ogg';
export type ImageDetail = 'low' | 'high' | 'auto';

export type StoredPart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image'; readonly source: PartSource; readonly detail?: ImageDetail }
  | {
      readonly type: 'audio';
      readonly format: AudioFormat;
      readonly source: Exclude<PartSource, { kind: 'url' }>;
    }
  | {
      readonly type: 'file';
      readonly filename: string;
      readonly source: Exclude<PartSource, { kind: 'url' }>;
    };

/** The blob behind a part, if it has one. */
export function blobOf(part: StoredPart): BlobRef | undefined {
  if (part.type === 'text' || part.source.kind === 'url') return undefined;
  return part.source;
}

/**
 * The blob a part owns: its bytes were stored for this part alone (a fresh key each), so they go
 * when the message does. A collection file's blob belongs to the file, never to the message.
 */
export function ownedBlobOf(part: StoredPart): BlobRef | undefined {
  if (part.type === 'text' || part.source.kind === 'collection_file') return undefined;
  return blobOf(part);
}
