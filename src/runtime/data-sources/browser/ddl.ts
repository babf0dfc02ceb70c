/**
 * The schema browser's DDL on a user database: create, alter and drop tables, create and drop views.
 * Names are quoted identifiers; a column type must read as a type name (`varchar(20)`, `numeric(10,2)`,
 * `text[]`, `timestamp with time zone`), never arbitrary SQL; a default is a literal (or one of a
 * few well-known functions); a view's SQL runs as a single statement (the extended protocol).
 */
import pg from 'pg';
import { ValidationError } from '../../../errors.js';

export interface ColumnDef {
  readonly name: string;
  readonly type: string;
  readonly nullable?: boolean;
  readonly default?: string | number | boolean | null;
  readonly primary_key?: boolean;
}

const id = (name: string) => pg.escapeIdentifier(name);
const relation = (schema: string, name: string) => `${id(schema)}.${id(name)}`;

const TYPE =
  /^[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*){0,3}( ?\(\s*\d{1,4}\s*(,\s*\d{1,4}\s*)?\))?( ?\[\])?$/;
const DEFAULT_FUNCTIONS = new Set([
  'now()',
  'current_timestamp',
  'current_date',
  'gen_random_uuid()',
  'clock_timestamp()',
]);

function columnSql(c: ColumnDef, field: string): string {
  if (!TYPE.test(c.type.trim()))
    throw new ValidationError(`'${c.type}' is not a column type`, `${field}.type`);
  const parts = [id(c.name), c.type.trim()];
  if (c.nullable === false) parts.push('NOT NULL');
  if (c.default !== undefined && c.default !== null) parts.push(`DEFAULT ${defaultSql(c.default)}`);
  if (c.primary_key) parts.push('PRIMARY KEY');
  return parts.join(' ');
}

function defaultSql(d: string | number | boolean): string {
  if (typeof d === 'number') return Number.isFinite(d) ? String(d) : 'NULL';
  if (typeof d === 'boolean') return d ? 'true' : 'false';
  return DEFAULT_FUNCTIONS.has(d.trim().toLowerCase()) ? d.trim() : pg.escapeLiteral(d);
}

export async function createTable(
  c: pg.ClientBase,
  t: { table_name: string; schema_name: string; columns: readonly ColumnDef[]; if_not_exists: boolean },
) {
  const cols = t.columns.map((col, i) => columnSql(col, `columns[${i}]`));
  await c.query(
    `CREATE TABLE ${t.if_not_exists ? 'IF NOT EXISTS ' : ''}${relation(t.schema_name, t.table_name)} (${cols.join(', ')})`,
  );
  return { table_name: t.table_name, schema_name: t.schema_name, created: true };
}

export async function alterTable(
  c: pg.ClientBase,
  schema: string,
  table: string,
  a: {
    add_columns?: readonly ColumnDef[];
    drop_columns?: readonly string[];
    rename_columns?: Readonly<Record<string, string>>;
  },
) {
  const target = relation(schema, table);
  const actions = [
    ...(a.add_columns ?? []).map((col, i) => `ADD COLUMN ${columnSql(col, `add_columns[${i}]`)}`),
    ...(a.drop_columns ?? []).map((name) => `DROP COLUMN ${id(name)}`),
  ];
  if (actions.length) await c.query(`ALTER TABLE ${target} ${actions.join(', ')}`);
  for (const [from, to] of Object.entries(a.rename_columns ?? {}))
    await c.query(`ALTER TABLE ${target} RENAME COLUMN ${id(from)} TO ${id(to)}`);
  if (!actions.length && !Object.keys(a.rename_columns ?? {}).length)
    throw new ValidationError('nothing to change: add_columns, drop_columns or rename_columns', 'body');
  return { table_name: table, schema_name: schema, altered: true };
}

export async function dropRelation(
  c: pg.ClientBase,
  what: 'TABLE' | 'VIEW',
  schema: string,
  name: string,
  cascade: boolean,
) {
  await c.query(`DROP ${what} ${relation(schema, name)}${cascade ? ' CASCADE' : ''}`);
}

export async function createView(
  c: pg.ClientBase,
  v: { name: string; schema_name: string; sql: string; or_replace: boolean },
) {
  await c.query({
    text: `CREATE ${v.or_replace ? 'OR REPLACE ' : ''}VIEW ${relation(v.schema_name, v.name)} AS ${v.sql}`,
    queryMode: 'extended',
  } as pg.QueryConfig);
  return { view_name: v.name, schema_name: v.schema_name, created: true };
}
