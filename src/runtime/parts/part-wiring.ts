/**
 * Builds the content-part ports on a process's adapters: the intake (blobs in the same store as
 * collection files, URLs through the one outbound guard) and the turn's resolver.
 */
import type pg from 'pg';
import { PayloadTooLargeError, ValidationError } from '../../errors.js';
import { FileQueries } from '../../projections/file-queries.js';
import type { Config } from '../config.js';
import type { BlobStore } from '../files/blob-store.js';
import { blobStoreOf } from '../files/file-wiring.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import { outboundRequest } from '../outbound/outbound-request.js';
import { PartIntake, type FetchedBytes } from './part-intake.js';
import { partResolver, type ResolveParts } from './part-wire.js';

/** how long fetching an audio or file URL may take */
const FETCH_TIMEOUT_MS = 30_000;

export interface MessagePartPorts {
  readonly intake: PartIntake;
  readonly resolve: ResolveParts;
  /** where the parts' bytes are (a reader fetches them through GET /chats/{id}/messages/{m}/parts/{i}) */
  readonly blobs: BlobStore;
}

export function messagePartsOn(pool: pg.Pool, config: Config, guard: OutboundGuard): MessagePartPorts {
  const blobs = blobStoreOf(config, pool);
  const intake = new PartIntake({
    blobs,
    guard,
    fetch: (url, field, maxBytes) => fetchPart(guard, url, field, maxBytes),
    files: new FileQueries(pool),
    maxPartBytes: config.files.messagePartMaxBytes,
  });
  return { intake, resolve: partResolver(blobs), blobs };
}

/** GETs a part's URL once, through the guard; a refusal, failure or non-2xx answer is a 400 naming the field */
async function fetchPart(
  guard: OutboundGuard,
  url: string,
  field: string,
  maxBytes: number,
): Promise<FetchedBytes> {
  const res = await outboundRequest(guard, url, {
    method: 'GET',
    headers: {},
    timeoutMs: FETCH_TIMEOUT_MS,
    maxResponseBytes: maxBytes + 1,
    field,
  }).catch((err: Error) =>
    Promise.reject(
      err instanceof ValidationError
        ? err
        : new ValidationError(`${field}: could not fetch the URL (${err.message})`, field),
    ),
  );
  if (res.statusCode < 200 || res.statusCode > 299)
    throw new ValidationError(`${field}: fetching the URL answered HTTP ${res.statusCode}`, field);
  if (res.body.length > maxBytes)
    throw new PayloadTooLargeError(`${field}: larger than a part may be (${maxBytes} bytes)`, field);
  const type = res.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return { bytes: res.body, mimeType: type || undefined };
}
