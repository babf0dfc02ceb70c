/**
 * The schema and data browser of a database connection, keyed by its name (reference §5.3): reads
 * run in read-only transactions, DDL and row writes in read-write ones, which a `read_only`
 * connection turns read-only, so the database itself refuses them (403 saying so). Annotations
 * (display names and descriptions) are the platform's, kept as events (DatabaseAnnotations). The
 * row and annotation routes are in database-browser-data.ts.
 */
import type { Request } from 'express';
import type pg from 'pg';
import type { DatabaseAnnotations } from '../commands/database-connection/annotations.js';
import { databaseConnectionKind } from '../commands/database-connection/database-connection-kind.js';
import type { JSONSchema } from '../commands/validation.js';
import type { DataSource, DataSources } from '../runtime/data-sources/data-sources.js';
import * as catalog from '../runtime/data-sources/browser/catalog.js';
import * as ddl from '../runtime/data-sources/browser/ddl.js';
import { browserError } from '../runtime/data-sources/browser/sql-errors.js';
import { param, registerAnnotations, registerRows } from './database-browser-data.js';
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
export type BrowserRoute = Omit<RouteSpec, 'access' | 'tags' | 'handler' | 'params'> & {
  readonly params?: Record<string, JSONSchema>;
  readonly run: (c: pg.ClientBase, req: Request, source: DataSource) => Promise<unknown>;
  readonly status?: number;
};
export type AddRoute = (action: 'read' | 'update', spec: BrowserRoute) => void;

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
