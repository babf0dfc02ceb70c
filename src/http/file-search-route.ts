/**
 * `POST /files/{ns}/{coll}/search` (reference §5.8): the caller's visible files filtered by
 * metadata equality, and with `query` the lines of text files that match it as a case-insensitive
 * regex, run on a linear-time engine (file-search.ts) so no pattern can hang the server.
 */
import type { Request } from 'express';
import type { JSONSchema } from '../commands/validation.js';
import type { FileRouteDeps } from './files.js';
import { callerOf, fileAccess } from './files.js';
import type { RouteRegistry } from './routes.js';

const RESULT = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      file_id: { type: 'string' },
      filename: { type: 'string' },
      version: { type: 'integer' },
      matches: { type: 'array', items: { type: 'object' } },
    },
  },
} as const;

export function registerFileSearch(
  registry: RouteRegistry,
  d: FileRouteDeps,
  at: { base: string; params: Readonly<Record<string, JSONSchema>>; tags: string[] },
): void {
  registry.add({
    method: 'post',
    path: `${at.base}/search`,
    access: fileAccess('download'),
    summary: 'Search your visible files by metadata and, in text files, by a regular expression (RE2 syntax)',
    tags: at.tags,
    params: at.params,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 1000 },
        metadata_filter: { type: 'object', default: {} },
        limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      },
    },
    responses: { 200: RESULT },
    handler: async (req: Request, res) => {
      const { namespace, collection } = req.params as { namespace: string; collection: string };
      const b = req.body as { query?: string; metadata_filter: Record<string, unknown>; limit: number };
      const rules = await d.files.collection(namespace, collection);
      res.json(await d.files.search(rules, b, callerOf(req, 'download')));
    },
  });
}
