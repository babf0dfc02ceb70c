/**
 * How the read-only admin routes (queue, workers, containers, system, permission reference, request
 * logs) are declared: a GET that answers the JSON its read returns, its 200 schema written as the
 * fields of an object or of a list's items. One shape, so each of those files says only what it
 * reads and which fields it answers with.
 */
import type { Request } from 'express';
import type { JSONSchema } from '../commands/validation.js';
import type { Access, RouteRegistry } from './routes.js';

/** the platform's infrastructure: administrators only, as in the original */
export const SYSTEM_READ: Access = { permission: () => 'sinas.system.read:all' };

type Fields = Readonly<Record<string, JSONSchema>>;

/** an object with these fields */
export const objectOf = (properties: Fields): JSONSchema => ({ type: 'object', properties });

/** a list of objects with these fields */
export const listOf = (properties: Fields): JSONSchema => ({ type: 'array', items: objectOf(properties) });

export interface JsonGet {
  readonly path: string;
  readonly access: Access;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly query?: Fields;
  /** the 200 response's schema */
  readonly answers: JSONSchema;
  /** what the route answers, as JSON */
  readonly read: (req: Request) => unknown;
}

export function addJsonGet(registry: RouteRegistry, route: JsonGet): void {
  const { answers, read, ...spec } = route;
  registry.add({
    method: 'get',
    ...spec,
    responses: { 200: answers },
    handler: async (req, res) => {
      res.json(await read(req));
    },
  });
}
