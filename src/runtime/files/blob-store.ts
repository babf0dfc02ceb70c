/**
 * The blob port (DESIGN §3): file contents by key, written and read as streams of chunks, never a
 * whole file in memory. Keys are fresh per file version and never overwritten. Counting, hashing
 * and the size limit happen on the way in (`measured`), the same for every adapter.
 */
import { createHash } from 'node:crypto';
import { PayloadTooLargeError } from '../../errors.js';

export interface BlobStore {
  /** stores `body` under `key` (a fresh one); a failure leaves nothing under it */
  put(key: string, body: AsyncIterable<Buffer>): Promise<void>;
  /** the bytes under `key`, in chunks */
  get(key: string): AsyncIterable<Buffer>;
  /** removes `key` (idempotent) */
  delete(key: string): Promise<void>;
}

export interface Measure {
  size: number;
  sha256: string;
}

/**
 * Passes `body` through, counting and hashing it; throws PayloadTooLargeError as soon as it passes
 * `maxBytes`. `out` holds the size and hash once the stream has ended.
 */
export async function* measured(
  body: AsyncIterable<Buffer | string> | Iterable<Buffer>,
  maxBytes: number,
  out: Measure,
): AsyncIterable<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const part of body) {
    const chunk = typeof part === 'string' ? Buffer.from(part) : part;
    size += chunk.length;
    if (size > maxBytes)
      throw new PayloadTooLargeError(`the file is larger than this collection's limit of ${maxBytes} bytes`);
    hash.update(chunk);
    yield chunk;
  }
  out.size = size;
  out.sha256 = hash.digest('hex');
}

/** Stores `body` under `key`, measured; on any failure the partial blob is removed and the error rethrown. */
export async function putMeasured(
  blobs: BlobStore,
  key: string,
  body: AsyncIterable<Buffer | string> | Iterable<Buffer>,
  maxBytes: number,
): Promise<Measure> {
  const out: Measure = { size: 0, sha256: '' };
  try {
    await blobs.put(key, measured(body, maxBytes, out));
  } catch (err) {
    await blobs.delete(key);
    throw err;
  }
  return out;
}
