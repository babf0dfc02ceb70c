/**
 * The schema browser's reads of a user database (reference §5.3): schemas, tables with their
 * estimated rows and size, one table's columns (with primary-key flags), constraints and indexes,
 * and views. Catalog queries only, every name bound as a parameter.
 */
import type pg from 'pg';
import { NotFoundError } from '../../../errors.js';

const SYSTEM_SCHEMAS = `('pg_catalog', 'information_schema', 'pg_toast')`;

export async function schemas(c: pg.ClientBase): Promise<{ schema_name: string }[]> {
  const { rows } = await c.query<{ schema_name: string }>(
    `SELECT nspname AS schema_name FROM pg_namespace
      WHERE nspname NOT IN ${SYSTEM_SCHEMAS} AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
      ORDER BY nspname`,
  );
  return rows;
}

export interface TableRow {
  table_name: string;
  table_type: string;
  estimated_rows: number;
  size_bytes: number;
}

export async function tables(c: pg.ClientBase, schema: string): Promise<TableRow[]> {
  const { rows } = await c.query<TableRow>(
    `SELECT c.relname AS table_name,
            CASE c.relkind WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'BASE TABLE' END AS table_type,
            GREATEST(c.reltuples, 0)::bigint::float8 AS estimated_rows,
            pg_total_relation_size(c.oid)::float8 AS size_bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'f') ORDER BY c.relname`,
    [schema],
  );
  return rows;
}

export async function views(c: pg.ClientBase, schema: string) {
  const { rows } = await c.query<{ view_name: string; definition: string; is_materialized: boolean }>(
    `SELECT c.relname AS view_name, pg_get_viewdef(c.oid) AS definition, c.relkind = 'm' AS is_materialized
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') ORDER BY c.relname`,
    [schema],
  );
  return rows;
}

export interface ColumnRow {
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: boolean;
  column_default: string | null;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  ordinal_position: number;
  is_primary_key: boolean;
}

/** the table's columns in order; NotFoundError when there is no such table or view */
export async function columns(c: pg.ClientBase, schema: string, table: string): Promise<ColumnRow[]> {
  const { rows } = await c.query<ColumnRow>(
    `SELECT col.column_name, col.data_type, col.udt_name, col.is_nullable = 'YES' AS is_nullable,
            col.column_default, col.character_maximum_length, col.numeric_precision, col.numeric_scale,
            col.ordinal_position::int AS ordinal_position,
            EXISTS (SELECT 1 FROM information_schema.table_constraints tc
                      JOIN information_schema.key_column_usage k
                        ON k.constraint_name = tc.constraint_name AND k.constraint_schema = tc.constraint_schema
                       AND k.table_name = tc.table_name
                     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = col.table_schema
                       AND tc.table_name = col.table_name AND k.column_name = col.column_name) AS is_primary_key
       FROM information_schema.columns col
      WHERE col.table_schema = $1 AND col.table_name = $2 ORDER BY col.ordinal_position`,
    [schema, table],
  );
  if (rows.length === 0 && !(await exists(c, schema, table)))
    throw new NotFoundError(`table '${schema}.${table}' not found`, 'table');
  return rows;
}

async function exists(c: pg.ClientBase, schema: string, table: string): Promise<boolean> {
  const { rowCount } = await c.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  return (rowCount ?? 0) > 0;
}

export async function constraints(c: pg.ClientBase, schema: string, table: string) {
  const { rows } = await c.query<{ constraint_name: string; constraint_type: string; definition: string }>(
    `SELECT con.conname AS constraint_name,
            CASE con.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'f' THEN 'FOREIGN KEY' WHEN 'u' THEN 'UNIQUE'
                             WHEN 'c' THEN 'CHECK' WHEN 'x' THEN 'EXCLUDE' ELSE con.contype::text END AS constraint_type,
            pg_get_constraintdef(con.oid) AS definition
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 ORDER BY con.conname`,
    [schema, table],
  );
  return rows;
}

export async function indexes(c: pg.ClientBase, schema: string, table: string) {
  const { rows } = await c.query<{ index_name: string; definition: string }>(
    `SELECT indexname AS index_name, indexdef AS definition FROM pg_indexes
      WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname`,
    [schema, table],
  );
  return rows;
}
