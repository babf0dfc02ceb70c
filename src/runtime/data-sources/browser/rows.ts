/**
 * The data browser's row reads and writes on one table. Every identifier is checked against the
 * table's real columns and then quoted (`escapeIdentifier`); operators come from a fixed list;
 * every value is a bound parameter, never part of the SQL text.
 */
import pg from 'pg';
import { ValidationError } from '../../../errors.js';
import { columns } from './catalog.js';

export const OPERATORS = [
  '=',
  '!=',
  '>',
  '<',
  '>=',
  '<=',
  'LIKE',
  'ILIKE',
  'IS NULL',
  'IS NOT NULL',
] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Filter {
  readonly column: string;
  readonly operator: Operator;
  readonly value?: unknown;
}

export interface RowQuery {
  readonly limit: number;
  readonly offset: number;
  readonly sortBy?: string;
  readonly sortOrder: 'asc' | 'desc';
  readonly filters: readonly Filter[];
}

const id = (name: string) => pg.escapeIdentifier(name);
const relation = (schema: string, table: string) => `${id(schema)}.${id(table)}`;

/** the table's column names, for checking what a request names */
async function known(c: pg.ClientBase, schema: string, table: string): Promise<Set<string>> {
  return new Set((await columns(c, schema, table)).map((col) => col.column_name));
}

function checked(names: Set<string>, column: string, field: string): string {
  if (!names.has(column)) throw new ValidationError(`no column '${column}' in this table`, field);
  return id(column);
}

/** `WHERE …` from filters (or an equality map), its values appended to `params` */
function whereOf(names: Set<string>, filters: readonly Filter[], params: unknown[], field: string): string {
  const parts = filters.map((f, i) => {
    const col = checked(names, f.column, `${field}[${i}].column`);
    if (f.operator === 'IS NULL' || f.operator === 'IS NOT NULL') return `${col} ${f.operator}`;
    if (f.value === undefined)
      throw new ValidationError(`operator ${f.operator} needs a value`, `${field}[${i}].value`);
    params.push(f.value);
    return `${col} ${f.operator} $${params.length}`;
  });
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

const equalities = (where: Readonly<Record<string, unknown>>): Filter[] =>
  Object.entries(where).map(([column, value]) =>
    value === null ? { column, operator: 'IS NULL' } : { column, operator: '=', value },
  );

export async function selectRows(c: pg.ClientBase, schema: string, table: string, q: RowQuery) {
  const names = await known(c, schema, table);
  const params: unknown[] = [];
  const where = whereOf(names, q.filters, params, 'filters');
  const order = q.sortBy
    ? ` ORDER BY ${checked(names, q.sortBy, 'sort_by')} ${q.sortOrder === 'desc' ? 'DESC' : 'ASC'}`
    : '';
  const from = `FROM ${relation(schema, table)}${where}`;
  const total = await c.query<{ n: string }>(`SELECT count(*) AS n ${from}`, params);
  params.push(q.limit, q.offset);
  const rows = await c.query(
    `SELECT * ${from}${order} LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { rows: rows.rows, total_count: Number(total.rows[0]!.n) };
}

export async function insertRows(
  c: pg.ClientBase,
  schema: string,
  table: string,
  rows: readonly Readonly<Record<string, unknown>>[],
) {
  const names = await known(c, schema, table);
  const inserted: unknown[] = [];
  for (const [i, row] of rows.entries()) {
    const cols = Object.keys(row).map((k) => checked(names, k, `rows[${i}].${k}`));
    const values = Object.values(row);
    const sql = cols.length
      ? `INSERT INTO ${relation(schema, table)} (${cols.join(', ')}) VALUES (${values.map((_, j) => `$${j + 1}`).join(', ')}) RETURNING *`
      : `INSERT INTO ${relation(schema, table)} DEFAULT VALUES RETURNING *`;
    inserted.push(...(await c.query(sql, values)).rows);
  }
  return { inserted, count: inserted.length };
}

export async function updateRows(
  c: pg.ClientBase,
  schema: string,
  table: string,
  where: Readonly<Record<string, unknown>>,
  set: Readonly<Record<string, unknown>>,
) {
  const names = await known(c, schema, table);
  const params: unknown[] = [];
  const sets = Object.entries(set).map(([k, v]) => {
    params.push(v);
    return `${checked(names, k, `set_values.${k}`)} = $${params.length}`;
  });
  if (sets.length === 0) throw new ValidationError('set_values names no column', 'set_values');
  const w = whereOf(names, equalities(where), params, 'where');
  const r = await c.query(`UPDATE ${relation(schema, table)} SET ${sets.join(', ')}${w}`, params);
  return { affected_rows: r.rowCount ?? 0 };
}

export async function deleteRows(
  c: pg.ClientBase,
  schema: string,
  table: string,
  where: Readonly<Record<string, unknown>>,
) {
  const names = await known(c, schema, table);
  const params: unknown[] = [];
  const w = whereOf(names, equalities(where), params, 'where');
  const r = await c.query(`DELETE FROM ${relation(schema, table)}${w}`, params);
  return { affected_rows: r.rowCount ?? 0 };
}
