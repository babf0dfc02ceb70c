/**
 * The data half of the database browser (reference §5.3): a table's rows (read with filters, sort
 * and paging; inserted, updated, deleted) and the connection's annotations. Each row route runs in
 * one transaction on the connection (database-browser.ts); annotations never touch the database.
 */
import type { Request } from 'express';
import type { DatabaseAnnotations } from '../commands/database-connection/annotations.js';
import { databaseConnectionKind } from '../commands/database-connection/database-connection-kind.js';
import type { Annotation } from '../events/database-annotation-events.js';
import * as rowsOf from '../runtime/data-sources/browser/rows.js';
import { principalOf } from './auth.js';
import type { AddRoute, BrowserDeps } from './database-browser.js';
import * as s from './database-browser-schemas.js';
import { queryOf, type RouteRegistry } from './routes.js';

/** a path parameter (these routes have no wildcards: always one string) */
export const param = (req: Request, name: string): string => String(req.params[name]);

export function registerRows(add: AddRoute, schemaOf: (req: Request) => string): void {
  const path = '/tables/:table/rows';
  const params = { table: s.IDENT };
  add('read', {
    method: 'get',
    path,
    summary: 'Rows of a table, filtered, sorted and paged',
    params,
    query: s.ROW_QUERY,
    responses: { 200: s.ROWS },
    run: (c, req) => {
      const q = queryOf(req) as {
        limit: number;
        offset: number;
        sort_by?: string;
        sort_order: 'asc' | 'desc';
      };
      return rowsOf.selectRows(c, schemaOf(req), param(req, 'table'), {
        limit: q.limit,
        offset: q.offset,
        ...(q.sort_by !== undefined ? { sortBy: q.sort_by } : {}),
        sortOrder: q.sort_order,
        filters: s.parseFilters(queryOf(req).filters),
      });
    },
  });
  add('update', {
    method: 'post',
    path,
    summary: 'Insert rows',
    params,
    query: { schema: s.IDENT },
    body: s.INSERT_ROWS,
    status: 201,
    responses: { 201: s.INSERTED },
    run: (c, req) =>
      rowsOf.insertRows(c, schemaOf(req), param(req, 'table'), (req.body as { rows: [] }).rows),
  });
  add('update', {
    method: 'patch',
    path,
    summary: 'Update the rows matching `where` (column equalities)',
    params,
    query: { schema: s.IDENT },
    body: s.UPDATE_ROWS,
    responses: { 200: s.AFFECTED },
    run: (c, req) => {
      const b = req.body as { where: Record<string, unknown>; set_values: Record<string, unknown> };
      return rowsOf.updateRows(c, schemaOf(req), param(req, 'table'), b.where, b.set_values);
    },
  });
  add('update', {
    method: 'delete',
    path,
    summary: 'Delete the rows matching `where` (column equalities)',
    params,
    query: { schema: s.IDENT },
    body: s.DELETE_ROWS,
    responses: { 200: s.AFFECTED },
    run: (c, req) =>
      rowsOf.deleteRows(
        c,
        schemaOf(req),
        param(req, 'table'),
        (req.body as { where: Record<string, unknown> }).where,
      ),
  });
}

export function registerAnnotations(
  registry: RouteRegistry,
  deps: BrowserDeps,
  annotations: DatabaseAnnotations,
): void {
  const path = `/api/v1/${databaseConnectionKind.path}/:name/annotations`;
  registry.add({
    method: 'get',
    path,
    access: deps.access.route('read'),
    summary: 'Display names and descriptions of the connection’s tables and columns',
    tags: deps.tags,
    params: { name: s.NAME },
    responses: {
      200: { type: 'object', properties: { annotations: { type: 'array', items: s.ANNOTATION } } },
    },
    handler: async (req, res) => {
      const source = await deps.dataSources.byName(param(req, 'name'));
      res.json({ annotations: await annotations.of(source.id) });
    },
  });
  registry.add({
    method: 'put',
    path,
    access: deps.access.route('update'),
    summary: 'Upsert annotations (recorded as an event on the connection’s annotation stream)',
    tags: deps.tags,
    params: { name: s.NAME },
    body: s.PUT_ANNOTATIONS,
    responses: { 200: { type: 'object', properties: { upserted: { type: 'integer' } } } },
    handler: async (req, res) => {
      const source = await deps.dataSources.byName(param(req, 'name'));
      const list = (req.body as { annotations: Annotation[] }).annotations;
      res.json({ upserted: await annotations.put(source.id, list, principalOf(req).userId) });
    },
  });
}
