/**
 * A kind's read-model table, declared: each column and what it holds. Kit-born kinds take the
 * default (the spec as one jsonb column); older kinds declare the columns analysts and workers
 * already query, so their tables stay as they were.
 */
import type { ResourceKind } from './resource-kind.js';

/** what a column holds: a part of the item, the whole spec, or one field of it */
export type ColumnSource =
  | 'key'
  | 'id'
  | 'namespace'
  | 'name'
  | 'owner'
  | 'spec'
  | 'version'
  | 'position'
  | 'created_position'
  | 'created_at'
  | 'updated_at'
  | { readonly field: string };

export interface Column {
  readonly name: string;
  /** its SQL type and constraints */
  readonly sql: string;
  readonly from: ColumnSource;
}

export interface ReadModelLayout {
  readonly columns: readonly Column[];
  /** table constraints after the columns */
  readonly constraints?: readonly string[];
  /** the upsert's conflict target (default: the column declared PRIMARY KEY) */
  readonly conflict?: string;
  /** SQL giving a row's stream id after `<category>-` (default: the `key` column, else the id) */
  readonly key?: string;
  /** index name suffix → column: `{ id: 'id' }` makes `<table>_id_idx` */
  readonly indexes: Readonly<Record<string, string>>;
  /** the list order */
  readonly order: string;
}

/** The columns every layout may take as they are: each named after what it holds. */
const STANDARD = {
  namespace: { name: 'namespace', sql: 'text NOT NULL', from: 'namespace' },
  name: { name: 'name', sql: 'text NOT NULL', from: 'name' },
  id: { name: 'id', sql: 'uuid NOT NULL', from: 'id' },
  version: { name: 'version', sql: 'bigint NOT NULL', from: 'version' },
  owner_id: { name: 'owner_id', sql: 'text NOT NULL', from: 'owner' },
  spec: { name: 'spec', sql: 'jsonb NOT NULL', from: 'spec' },
  created_at: { name: 'created_at', sql: 'timestamptz NOT NULL', from: 'created_at' },
  updated_at: { name: 'updated_at', sql: 'timestamptz NOT NULL', from: 'updated_at' },
  position: { name: 'position', sql: 'bigint NOT NULL', from: 'position' },
  created_position: { name: 'created_position', sql: 'bigint NOT NULL', from: 'created_position' },
} as const satisfies Record<string, Column>;

/** standard columns by name, in the order given */
export const standardColumns = (...names: (keyof typeof STANDARD)[]): Column[] =>
  names.map((n) => STANDARD[n]);

/** a column holding one field of the spec */
export const fieldColumn = (field: string, sql: string, name = field): Column => ({
  name,
  sql,
  from: { field },
});

export const defaultReadModel: ReadModelLayout = {
  columns: standardColumns(
    'namespace',
    'name',
    'id',
    'version',
    'owner_id',
    'spec',
    'created_at',
    'updated_at',
    'position',
  ),
  constraints: ['PRIMARY KEY (namespace, name)'],
  conflict: '(namespace, name)',
  key: "namespace || '/' || name",
  indexes: { id: 'id' },
  order: 'namespace, name',
};

export const readModelOf = (kind: ResourceKind): ReadModelLayout => kind.readModel ?? defaultReadModel;

/** the upsert's conflict target */
export function conflictOf(layout: ReadModelLayout): string {
  const pk = layout.columns.find((c) => /PRIMARY KEY/i.test(c.sql));
  return layout.conflict ?? `(${pk!.name})`;
}

/** SQL naming a row's stream id: the declared one, the column holding it, or the id as text */
export function keyOf(layout: ReadModelLayout): string {
  return layout.key ?? columnOf(layout, 'key') ?? `${columnOf(layout, 'id')}::text`;
}

/** the column holding `from`, if the table has one */
export function columnOf(layout: ReadModelLayout, from: ColumnSource): string | undefined {
  return layout.columns.find((c) => c.from === from)?.name;
}

/**
 * What the API selects: a write-only field's column only as whether it is set, an internal field's
 * not at all, so ciphertext never leaves the table through the API's queries.
 */
export function visibleColumns(kind: ResourceKind): string[] {
  const writeOnly = new Set(kind.writeOnlyFields ?? []);
  const internal = new Set(kind.internalFields ?? []);
  return readModelOf(kind).columns.flatMap((c) => {
    if (typeof c.from === 'string') return [c.name];
    if (internal.has(c.from.field)) return [];
    return [writeOnly.has(c.from.field) ? `(${c.name} IS NOT NULL) AS ${c.name}` : c.name];
  });
}
