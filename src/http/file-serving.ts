/**
 * Files served without authentication (reference §5.8): a signed link (`/files/serve/{jwt}`, until
 * it expires; any fault in the token is a plain 404) and the shared files of public collections
 * (`/files/public/{ns}/{coll}/{name}`; anything else is a 404). Bytes are streamed from the blob
 * store with the version's SHA-256 as ETag, and a matching If-None-Match is a 304.
 */
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../errors.js';
import type { VersionRow } from '../projections/file-queries.js';
import type { FileService } from '../runtime/files/file-service.js';
import type { FileRouteDeps } from './files.js';
import type { RouteRegistry } from './routes.js';

/** a collection's namespace or name in a path */
export const SEGMENT = {
  type: 'string',
  minLength: 1,
  maxLength: 100,
  pattern: '^[a-zA-Z_][a-zA-Z0-9_-]*$',
} as const;
export const FILENAME = { type: 'string', minLength: 1, maxLength: 255 } as const;
const tags = ['Files'];
const BYTES = { 200: { type: 'string', format: 'binary' }, 304: undefined } as const;

export function registerFileServing(registry: RouteRegistry, d: FileRouteDeps): void {
  registry.add({
    method: 'get',
    path: '/files/serve/:token',
    public: true,
    summary: 'The file a signed link names (no authentication; 404 once expired or if altered)',
    tags,
    params: { token: { type: 'string', minLength: 1, maxLength: 4096 } },
    responses: BYTES,
    produces: 'application/octet-stream',
    handler: async (req, res) => {
      const claim = await d.urls.verify((req.params as { token: string }).token);
      if ('blobKey' in claim) {
        // an upload's bytes while its content filter decides (content-filter.ts)
        const bytes = await d.files.pendingBytes(claim.blobKey, claim.size);
        const shown = { hash_sha256: claim.sha256, content_type: claim.contentType, size_bytes: claim.size };
        await sendBytes(req, res, shown, bytes, 'private, max-age=0, no-store');
        return;
      }
      const v = await d.files.versionOf(claim.fileId, claim.version);
      await sendVersion(req, res, d.files, v, 'private, max-age=300, immutable');
    },
  });
  registry.add({
    method: 'get',
    path: '/files/public/:namespace/:collection/:filename',
    public: true,
    summary: 'A shared file of a public collection (no authentication; anything else is a 404)',
    tags,
    params: {
      namespace: SEGMENT,
      collection: SEGMENT,
      filename: FILENAME,
    },
    responses: BYTES,
    produces: 'application/octet-stream',
    handler: async (req, res) => {
      const p = req.params as { namespace: string; collection: string; filename: string };
      const v = await d.files.publicVersion(p.namespace, p.collection, p.filename);
      await sendVersion(req, res, d.files, v, 'public, max-age=300');
    },
  });
}

/** streams a version's bytes, or a 304 when the client holds it already */
export async function sendVersion(
  req: Request,
  res: Response,
  files: FileService,
  v: VersionRow,
  cacheControl: string,
): Promise<void> {
  await sendBytes(req, res, v, files.bytes(v), cacheControl);
}

async function sendBytes(
  req: Request,
  res: Response,
  v: Pick<VersionRow, 'hash_sha256' | 'content_type'> & { size_bytes: string | number },
  bytes: AsyncIterable<Buffer>,
  cacheControl: string,
): Promise<void> {
  const etag = `"${v.hash_sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', cacheControl);
  const match = req.headers['if-none-match'];
  if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    res.status(304).end();
    return;
  }
  res.status(200);
  res.setHeader('Content-Type', v.content_type);
  res.setHeader('Content-Length', String(v.size_bytes));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Disposition', 'inline');
  await pipeline(Readable.from(bytes), res);
}

export const notServed = () => new NotFoundError('file not found', 'filename');
