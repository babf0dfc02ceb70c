/**
 * The runtime file API (reference §5.8) under `/files/{ns}/{collection}`: upload (base64 JSON as
 * the original, or multipart for large files, streamed), list with versions, search, and per file:
 * read, raw content (ETag = SHA-256, 304), signed serve URL, metadata, delete. Each route needs the
 * collection's `upload`, `download`, `list` or `delete_files` permission (`:own`); the action's
 * `:all` also sees and changes other users' private files. Serve links and public collections are
 * in file-serving.ts.
 */
import type { Request } from 'express';
import { itemPermission } from '../commands/identity/permissions.js';
import { PayloadTooLargeError, ValidationError } from '../errors.js';
import type { FileService, Caller } from '../runtime/files/file-service.js';
import type { FileUrls } from '../runtime/files/file-urls.js';
import { principalOf, holds } from './auth.js';
import { readMultipart } from './file-multipart.js';
import { FILE_RESPONSE, fileResponse, VERSION_RESPONSE, versionResponse } from './file-responses.js';
import { registerFileSearch } from './file-search-route.js';
import { FILENAME, registerFileServing, SEGMENT, sendVersion } from './file-serving.js';
import type { RouteRegistry } from './routes.js';
import { queryOf } from './routes.js';

export interface FileRouteDeps {
  readonly files: FileService;
  readonly urls: FileUrls;
}

const COLL = { namespace: SEGMENT, collection: SEGMENT } as const;
const ONE = { ...COLL, filename: FILENAME } as const;
const tags = ['Files'];
/** the largest file the base64 JSON download builds in memory */
export const JSON_DOWNLOAD_LIMIT = 10 * 1024 * 1024;
const base = '/files/:namespace/:collection';

export type FileAction = 'upload' | 'download' | 'list' | 'delete_files';

/** the route's permission on the collection in the path */
export const fileAccess = (action: FileAction) => ({
  permission: (req: Request) => {
    const { namespace, collection } = req.params as { namespace: string; collection: string };
    return itemPermission('collections', { namespaced: true, namespace, name: collection }, action, 'own');
  },
});

/** the caller, and whether they hold the action's `:all` on the collection */
export function callerOf(req: Request, action: FileAction): Caller {
  const { namespace, collection } = req.params as { namespace: string; collection: string };
  const all = itemPermission('collections', { namespaced: true, namespace, name: collection }, action, 'all');
  return { userId: principalOf(req).userId, all: holds(req, all) };
}

const params = (req: Request) => req.params as { namespace: string; collection: string; filename: string };

const UPLOAD_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'content_base64'],
  properties: {
    name: FILENAME,
    // bounded in practice by the JSON body limit (SINAS_BODY_LIMIT); large files go multipart
    content_base64: { type: 'string', maxLength: 1_400_000_000 },
    content_type: { type: 'string', minLength: 1, maxLength: 255, default: 'application/octet-stream' },
    visibility: { type: 'string', enum: ['private', 'shared'], default: 'private' },
    file_metadata: { type: 'object', default: {} },
    update_existing: { type: 'boolean', default: false },
  },
} as const;

export function registerFileRoutes(registry: RouteRegistry, d: FileRouteDeps): void {
  registerFileServing(registry, d); // first: `/files/serve/…` and `/files/public/…` before `/files/:ns/…`
  registry.add({
    method: 'post',
    path: base,
    access: fileAccess('upload'),
    summary:
      'Upload a file as base64 JSON (the collection is created with defaults if missing). Large files: the multipart route',
    tags,
    params: COLL,
    body: UPLOAD_BODY,
    responses: { 201: FILE_RESPONSE, 200: FILE_RESPONSE },
    handler: async (req, res) => {
      const b = req.body as {
        name: string;
        content_base64: string;
        content_type: string;
        visibility: 'private' | 'shared';
        file_metadata: Record<string, unknown>;
        update_existing: boolean;
      };
      const bytes = decodeBase64(b.content_base64);
      const s = await d.files.upload(
        {
          ...params(req),
          name: b.name,
          contentType: b.content_type,
          visibility: b.visibility,
          metadata: b.file_metadata,
          updateExisting: b.update_existing,
        },
        [bytes],
        callerOf(req, 'upload'),
      );
      res.status(s.created ? 201 : 200).json(fileResponse(s.file, s.version));
    },
  });
  registry.add({
    method: 'post',
    path: `${base}/upload`,
    access: fileAccess('upload'),
    summary:
      'Upload a file as multipart/form-data, streamed: fields (name, content_type, visibility, file_metadata as JSON, update_existing) first, then the part "file"',
    tags,
    params: COLL,
    responses: { 201: FILE_RESPONSE, 200: FILE_RESPONSE },
    handler: async (req, res) => {
      const who = callerOf(req, 'upload');
      const s = await readMultipart(req, (part) =>
        d.files.upload(
          {
            ...params(req),
            name: part.fields.name || part.filename,
            contentType: part.fields.content_type || part.mimeType || 'application/octet-stream',
            visibility: visibilityOf(part.fields.visibility),
            metadata: metadataOf(part.fields.file_metadata),
            updateExisting: part.fields.update_existing === 'true',
          },
          part.stream,
          who,
        ),
      );
      res.status(s.created ? 201 : 200).json(fileResponse(s.file, s.version));
    },
  });
  registry.add({
    method: 'get',
    path: base,
    access: fileAccess('list'),
    summary: "The collection's files you may see, each with its versions",
    tags,
    params: COLL,
    responses: {
      200: {
        type: 'array',
        items: {
          ...FILE_RESPONSE,
          properties: { ...FILE_RESPONSE.properties, versions: { type: 'array', items: VERSION_RESPONSE } },
        },
      },
    },
    handler: async (req, res) => {
      const rules = await d.files.collection(params(req).namespace, params(req).collection);
      const list = await d.files.list(rules, callerOf(req, 'list'));
      res.json(
        list.map(({ file, versions }) => ({
          ...fileResponse(file),
          versions: versions.map(versionResponse),
        })),
      );
    },
  });
  registerFileSearch(registry, d, { base, params: COLL, tags });
  registerOneFile(registry, d);
}

function registerOneFile(registry: RouteRegistry, d: FileRouteDeps): void {
  const path = `${base}/:filename`;
  const version = { version: { type: 'integer', minimum: 1, maximum: 1_000_000 } };
  registry.add({
    method: 'get',
    path,
    access: fileAccess('download'),
    summary: 'A file (its current version, or ?version=) as base64 JSON, up to 10 MiB (larger: /content)',
    tags,
    params: ONE,
    query: version,
    responses: {
      200: {
        type: 'object',
        properties: {
          content_base64: { type: 'string' },
          content_type: { type: 'string' },
          file_metadata: { type: 'object' },
          version: { type: 'integer' },
        },
      },
    },
    handler: async (req, res) => {
      const rules = await d.files.collection(params(req).namespace, params(req).collection);
      const q = queryOf(req) as { version?: number };
      const { file, version: v } = await d.files.open(
        rules,
        params(req).filename,
        callerOf(req, 'download'),
        q.version,
      );
      // base64 in JSON is built whole in memory: bounded, larger files stream from `/content`
      if (Number(v.size_bytes) > JSON_DOWNLOAD_LIMIT)
        throw new PayloadTooLargeError(
          `the file is larger than ${JSON_DOWNLOAD_LIMIT} bytes: read it from ${req.path}/content`,
        );
      const parts: Buffer[] = [];
      for await (const c of d.files.bytes(v)) parts.push(c);
      res.json({
        content_base64: Buffer.concat(parts).toString('base64'),
        content_type: v.content_type,
        file_metadata: file.file_metadata,
        version: v.version_number,
      });
    },
  });
  registry.add({
    method: 'get',
    path: `${path}/content`,
    access: fileAccess('download'),
    summary: 'A file’s raw bytes, streamed, with ETag (its SHA-256) and 304 for If-None-Match',
    tags,
    params: ONE,
    query: version,
    responses: { 200: { type: 'string', format: 'binary' }, 304: undefined },
    produces: 'application/octet-stream',
    handler: async (req, res) => {
      const rules = await d.files.collection(params(req).namespace, params(req).collection);
      const q = queryOf(req) as { version?: number };
      const { version: v } = await d.files.open(
        rules,
        params(req).filename,
        callerOf(req, 'download'),
        q.version,
      );
      await sendVersion(req, res, d.files, v, 'private, max-age=0, must-revalidate');
    },
  });
  registry.add({
    method: 'post',
    path: `${path}/url`,
    access: fileAccess('download'),
    summary: 'A signed link that serves the file without authentication until it expires (60 s to 30 days)',
    tags,
    params: ONE,
    query: { ...version, expires_in: { type: 'integer', minimum: 1, maximum: 100_000_000, default: 3600 } },
    responses: {
      200: {
        type: 'object',
        properties: {
          url: { type: 'string' },
          filename: { type: 'string' },
          content_type: { type: 'string' },
          version: { type: 'integer' },
          expires_in: { type: 'integer' },
        },
      },
    },
    handler: async (req, res) => {
      const rules = await d.files.collection(params(req).namespace, params(req).collection);
      const q = queryOf(req) as { version?: number; expires_in: number };
      const { file, version: v } = await d.files.open(
        rules,
        params(req).filename,
        callerOf(req, 'download'),
        q.version,
      );
      const signed = await d.urls.sign({ fileId: file.id, version: v.version_number }, q.expires_in);
      res.json({
        url: signed.url,
        filename: file.name,
        content_type: v.content_type,
        version: v.version_number,
        expires_in: signed.expiresIn,
      });
    },
  });
  registry.add({
    method: 'patch',
    path,
    access: fileAccess('upload'),
    summary:
      "Replace a file's metadata (validated against the collection's metadata_schema); owner only, unless upload:all",
    tags,
    params: ONE,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['file_metadata'],
      properties: { file_metadata: { type: 'object' } },
    },
    responses: { 200: FILE_RESPONSE },
    handler: async (req, res) => {
      const rules = await d.files.collection(params(req).namespace, params(req).collection);
      const { file_metadata } = req.body as { file_metadata: Record<string, unknown> };
      res.json(
        fileResponse(
          await d.files.setMetadata(rules, params(req).filename, file_metadata, callerOf(req, 'upload')),
        ),
      );
    },
  });
  registry.add({
    method: 'delete',
    path,
    access: fileAccess('delete_files'),
    summary: 'Delete a file and every version of it; owner only, unless delete_files:all',
    tags,
    params: ONE,
    responses: { 204: undefined },
    handler: async (req, res) => {
      const rules = await d.files.collection(params(req).namespace, params(req).collection);
      await d.files.remove(rules, params(req).filename, callerOf(req, 'delete_files'));
      res.status(204).end();
    },
  });
}

/** strict base64 (padding optional, no other characters): a typo is a 400, not silently other bytes */
function decodeBase64(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, '').length % 4 === 1)
    throw new ValidationError('content_base64 is not valid base64', 'content_base64');
  return Buffer.from(clean, 'base64');
}

function visibilityOf(v: string | undefined): 'private' | 'shared' {
  if (v === undefined || v === '' || v === 'private') return 'private';
  if (v === 'shared') return 'shared';
  throw new ValidationError("visibility must be 'private' or 'shared'", 'visibility');
}

function metadataOf(v: string | undefined): Record<string, unknown> {
  if (v === undefined || v === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new ValidationError('file_metadata must be a JSON object', 'file_metadata');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ValidationError('file_metadata must be a JSON object', 'file_metadata');
  return parsed as Record<string, unknown>;
}
