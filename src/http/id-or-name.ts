/**
 * Items of a kind with `alsoById` (LLM providers) are named in a URL by name or by id: a segment
 * that is the id of one of the kind's items names that item (its name replaces the segment before
 * the route's handler reads it); any other segment is a name. A name shaped like another item's id
 * is therefore reached by that name only through the list.
 */
import type { Request } from 'express';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import type { ResourceQueries } from '../projections/resource-queries.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Replaces an id in the request's `name` parameter by that item's name (a no-op for other kinds). */
export function idToName(kind: ResourceKind, queries: ResourceQueries): (req: Request) => Promise<void> {
  if (!kind.alsoById) return async () => undefined;
  return async (req) => {
    const params = req.params as { name?: string };
    if (params.name === undefined || !UUID.test(params.name)) return;
    const row = await queries.getById(kind, params.name.toLowerCase());
    if (row) params.name = queries.record(kind, row).name;
  };
}
