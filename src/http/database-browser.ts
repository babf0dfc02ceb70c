/**
 * The schema and data browser of a database connection, keyed by its name (reference §5.3): reads
 * run in read-only transactions, DDL and row writes in read-write ones, which a `read_only`
 * connection turns read-only, so the database itself refuses them (403 saying so). Annotations
 * (display names and descriptions) are the platform's, kept as events (DatabaseAnnotations).
 */
import type { Request } from 'express';
import type pg from 'pg';
import type { DatabaseAnnotations } from '../commands/database-connection/annotations.js';
import { databaseConnectionKind } from '../commands/database-connection/database-connection-kind.js';
import type { JSONSchema } from '../commands/validation.js';
import type { Annotation } from '../events/database-annotation-events.js';
import type { DataSource, DataSources } from '../runtime/data-sources/data-sources.js';
import * as catalog from '../runtime/data-sources/browser/catalog.js';
import * as ddl from '../runtime/data-sources/browser/ddl.js';
import * as rowsOf from '../runtime/data-sources/browser/rows.js';
import { browserError } from '../runtime/data-sources/browser/sql-errors.js';
import { principalOf } from './auth.js';
import type { KindAccess } from './resource-access.js';
import { queryOf, type RouteRegistry, type RouteSpec } from './routes.js';
import * as s from './database-browser-schemas.js';

export interface BrowserDeps {
  readonly access: KindAccess;
  readonly dataSources: DataSources;
  readonly annotations: DatabaseAnnotations;
  readonly tags: string[];
}

/** one browser route: what it runs in a transaction on the connection */
type BrowserRoute = Omit<RouteSpec, 'access' | 'tags' | 'handler' | 'params'> & {
  readonly params?: Record<string, JSONSchema>;
  readonly run: (c: pg.ClientBase, req: Request, source: DataSource) => Promise<unknown>;
  readonly status?: number;
};
type AddRoute = (action: 'read' | 'update', spec: BrowserRoute) => void;

/** a path parameter (these routes have no wildcards: always one string) */
export const param = (req: Request, name: string): string => String(req.params[name]);

/** how long one browser statement may run */
const TIMEOUT_MS = 30_000;

export function registerDatabaseBrowser(registry: RouteRegistry, deps: BrowserDeps): void {
  const annotations = deps.annotations;
  const base = `/api/v1/${databaseConnectionKind.path}/:name`;
  const add: AddRoute = (action, spec) =>
    registry.add({
      ...spec,
      path: `${base}${spec.path}`,
      params: { name: s.NAME, ...spec.params },
      access: deps.access.route(action),
      tags: deps.tags,
      handler: async (req, res) => {
        const source = await deps.dataSources.byName(param(req, 'name'));
        const out = await source
          .run({ readOnly: action === 'read', timeoutMs: TIMEOUT_MS }, (c) => spec.run(c, req, source))
          .catch((err: unknown) => Promise.reject(browserError(err, source.name)));
        if (spec.status === 204) res.status(204).send();
        else res.status(spec.status ?? 200).json(out);
      },
    });
  const schemaOf = (req: Request) => (queryOf(req).schema as string | undefined) ?? 'public';
  const described = async (source: DataSource) => {
    const list = await annotations.of(source.id);
    const find = (schema: string, table: string, column?: string) =>
      list.find(
        (a) => a.schema_name === schema && a.table_name === table && (a.column_name ?? undefined) === column,
      );
    return (schema: string, table: string, column?: string) => {
      const a = find(schema, table, column);
      return { display_name: a?.display_name ?? null, description: a?.description ?? null };
    };
  };

  add('read', {
    method: 'get',
    path: '/schemas',
    summary: 'Schemas of the connection’s database',
    responses: { 200: { type: 'array', items: s.SCHEMA_ROW } },
    run: (c) => catalog.schemas(c),
  });
  add('read', {
    method: 'get',
    path: '/tables',
    summary: 'Tables of a schema, with estimated rows, size and annotations',
    query: { schema: s.IDENT },
    responses: { 200: { type: 'array', items: s.TABLE_ROW } },
    run: async (c, req, source) => {
      const schema = schemaOf(req);
      const note = await described(source);
      return (await catalog.tables(c, schema)).map((t) => ({ ...t, ...note(schema, t.table_name) }));
    },
  });
  add('read', {
    method: 'get',
    path: '/tables/:table',
    summary: 'A table: columns (with primary-key flags), constraints, indexes and annotations',
    params: { table: s.IDENT },
    query: { schema: s.IDENT },
    responses: { 200: s.TABLE_DETAIL },
    run: async (c, req, source) => {
      const schema = schemaOf(req);
      const table = param(req, 'table');
      const note = await described(source);
      const columns = (await catalog.columns(c, schema, table)).map((col) => ({
        ...col,
        ...note(schema, table, col.column_name),
      }));
      return {
        table_name: table,
        schema_name: schema,
        columns,
        constraints: await catalog.constraints(c, schema, table),
        indexes: await catalog.indexes(c, schema, table),
        ...note(schema, table),
      };
    },
  });
  add('read', {
    method: 'get',
    path: '/views',
    summary: 'Views of a schema',
    query: { schema: s.IDENT },
    responses: { 200: { type: 'array', items: s.VIEW_ROW } },
    run: (c, req) => catalog.views(c, schemaOf(req)),
  });
  add('update', {
    method: 'post',
    path: '/tables',
    summary: 'Create a table',
    body: s.CREATE_TABLE,
    status: 201,
    responses: { 201: s.DDL_RESULT },
    run: (c, req) => ddl.createTable(c, req.body as Parameters<typeof ddl.createTable>[1]),
  });
  add('update', {
    method: 'patch',
    path: '/tables/:table',
    summary: 'Alter a table: add, drop or rename columns',
    params: { table: s.IDENT },
    body: s.ALTER_TABLE,
    responses: { 200: s.DDL_RESULT },
    run: (c, req) => {
      const { schema_name: schema, ...changes } = req.body as { schema_name: string };
      return ddl.alterTable(c, schema, param(req, 'table'), changes);
    },
  });
  for (const what of ['TABLE', 'VIEW'] as const) {
    const path = what === 'TABLE' ? '/tables/:table' : '/views/:table';
    add('update', {
      method: 'delete',
      path,
      summary: `Drop a ${what.toLowerCase()} (?cascade=true drops what depends on it)`,
      params: { table: s.IDENT },
      query: { schema: s.IDENT, cascade: { type: 'boolean', default: false } },
      status: 204,
      responses: { 204: undefined },
      run: (c, req) =>
        ddl.dropRelation(c, what, schemaOf(req), param(req, 'table'), queryOf(req).cascade === true),
    });
  }
  add('update', {
    method: 'post',
    path: '/views',
    summary: 'Create a view from one SELECT statement',
    body: s.CREATE_VIEW,
    status: 201,
    responses: { 201: s.DDL_RESULT },
    run: (c, req) => ddl.createView(c, req.body as Parameters<typeof ddl.createView>[1]),
  });
  registerRows(add, schemaOf);
  registerAnnotations(registry, deps, annotations);
}

function registerRows(add: AddRoute, schemaOf: (req: Request) => string): void {
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

function registerAnnotations(
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
