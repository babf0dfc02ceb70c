/**
 * The read model of a kind: one row per active item, in the columns its layout declares (by default
 * the spec as one jsonb column). Built in batches: load the rows a batch touches, fold in memory,
 * write back with one upsert and one delete.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import { nestedLayout } from '../events/resources/event-layout.js';
import { resourceEventKind } from '../events/resources/resource-events.js';
import { idOf } from '../events/stream-names.js';
import {
  conflictOf,
  keyOf,
  readModelOf,
  type ColumnSource,
  type ReadModelLayout,
} from '../commands/resource/read-model.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import { versionOf } from '../commands/resource/version.js';
import type { Projection, TableNames } from './projection.js';

/** A row of the default layout (agents, functions, LLM providers). */
export interface ResourceRow {
  readonly namespace: string;
  readonly name: string;
  readonly id: string;
  readonly version: number;
  readonly owner_id: string;
  readonly spec: Record<string, unknown>;
  readonly created_at: string;
  readonly updated_at: string;
  readonly position: number;
}

/** An item as the projection folds it, whatever its table's columns. */
export interface ItemRecord {
  readonly key: string;
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly ownerId: string;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly version: number;
  readonly position: number;
  readonly createdPosition: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

type Row = Record<string, unknown>;

export function resourceProjection(kind: ResourceKind): Projection {
  const table = kind.table;
  const layout = readModelOf(kind);
  return {
    name: table,
    // 2: `version` counts from 1; 3: a unique flag (is_default) shows what each stream says, so a
    // write taking it finds every holder to clear (clearing them in the read model alone hid them)
    version: 3,
    filter: { categories: [kind.category] },
    tables: [table],
    createTables: (t) => ddl(layout, t[table]!),
    apply: (tx, events, t) => applyBatch(tx, kind, layout, events, t),
  };
}

function ddl(layout: ReadModelLayout, table: string): string {
  const lines = [...layout.columns.map((c) => `${c.name} ${c.sql}`), ...(layout.constraints ?? [])];
  const indexes = Object.entries(layout.indexes).map(
    ([suffix, column]) => `CREATE INDEX IF NOT EXISTS ${table}_${suffix}_idx ON ${table} (${column});`,
  );
  return `CREATE TABLE IF NOT EXISTS ${table} (\n  ${lines.join(',\n  ')}\n);\n${indexes.join('\n')}`;
}

/** the column's value for an item */
function valueOf(from: ColumnSource, r: ItemRecord): unknown {
  if (typeof from !== 'string') return r.spec[from.field] ?? null;
  const values: Record<typeof from, unknown> = {
    key: r.key,
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    owner: r.ownerId,
    spec: r.spec,
    version: r.version,
    position: r.position,
    created_position: r.createdPosition,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
  return values[from];
}

export function toRow(layout: ReadModelLayout, r: ItemRecord): Row {
  return Object.fromEntries(layout.columns.map((c) => [c.name, valueOf(c.from, r)]));
}

/** An item from its row (the stream key given, since not every table has a column for it). */
export function fromRow(layout: ReadModelLayout, row: Row, key = ''): ItemRecord {
  const get = (from: ColumnSource) => {
    const c = layout.columns.find((x) => x.from === from);
    return c ? row[c.name] : undefined;
  };
  const fields = layout.columns.filter((c) => typeof c.from !== 'string');
  const spec = {
    ...((get('spec') as Record<string, unknown> | undefined) ?? {}),
    ...Object.fromEntries(fields.map((c) => [(c.from as { field: string }).field, row[c.name]])),
  };
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
  const id = String(get('id'));
  return {
    key: String(get('key') ?? key),
    id,
    namespace: String(get('namespace') ?? 'default'),
    name: String(get('name') ?? id),
    ownerId: String(get('owner')),
    spec,
    version: Number(get('version')),
    position: Number(get('position') ?? 0),
    createdPosition: Number(get('created_position') ?? 0),
    createdAt: iso(get('created_at')),
    updatedAt: iso(get('updated_at')),
  };
}

async function applyBatch(
  tx: pg.PoolClient,
  kind: ResourceKind,
  layout: ReadModelLayout,
  events: readonly RecordedEvent[],
  t: TableNames,
): Promise<void> {
  const table = t[kind.table]!;
  const keys = [...new Set(events.map((e) => idOf(e.streamName)))];
  const { rows: loaded } = await tx.query<Row & { __key: string }>(
    `SELECT *, ${keyOf(layout)} AS __key FROM ${table} WHERE ${keyOf(layout)} = ANY($1::text[])`,
    [keys],
  );
  const items = new Map<string, ItemRecord | null>(loaded.map((r) => [r.__key, fromRow(layout, r, r.__key)]));
  const touched = new Set<string>();
  for (const e of events) {
    const k = idOf(e.streamName);
    const next = evolveItem(kind, k, items.get(k), e);
    if (next === undefined) continue;
    items.set(k, next);
    touched.add(k);
  }
  await writeRows(tx, table, layout, items, touched);
}

/** The item after the event: an item, null (deleted), or undefined (the event doesn't concern it). */
function evolveItem(
  kind: ResourceKind,
  key: string,
  item: ItemRecord | null | undefined,
  e: RecordedEvent,
): ItemRecord | null | undefined {
  const layout = kind.events ?? nestedLayout;
  const which = resourceEventKind(kind.type, e.type);
  const at = { version: versionOf(e.revision), position: Number(e.position) };
  switch (which) {
    case 'Created': {
      const d = layout.readCreated(e.data);
      const { at: when, ownerId, ...rest } = d;
      return {
        ...rest,
        key,
        ownerId,
        spec: { ...d.spec },
        createdAt: when,
        updatedAt: when,
        createdPosition: at.position,
        ...at,
      };
    }
    case 'Updated': {
      if (!item) return undefined;
      const d = layout.readUpdated(e.data);
      return { ...item, spec: { ...item.spec, ...d.changes }, updatedAt: d.at, ...at };
    }
    case 'Deleted':
      return null;
    case undefined:
      return undefined;
    default: {
      const unreachable: never = which;
      return unreachable;
    }
  }
}

async function writeRows(
  tx: pg.PoolClient,
  table: string,
  layout: ReadModelLayout,
  items: Map<string, ItemRecord | null>,
  touched: Set<string>,
): Promise<void> {
  const upserts = [...touched]
    .map((k) => items.get(k))
    .filter((r): r is ItemRecord => !!r)
    .map((r) => toRow(layout, r));
  const deletes = [...touched].filter((k) => items.get(k) === null);
  if (deletes.length > 0) {
    await tx.query(`DELETE FROM ${table} WHERE ${keyOf(layout)} = ANY($1::text[])`, [deletes]);
  }
  if (upserts.length > 0) {
    const updates = layout.columns.map((c) => `${c.name} = EXCLUDED.${c.name}`).join(', ');
    await tx.query(
      `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(null::${table}, $1::jsonb)
       ON CONFLICT ${conflictOf(layout)} DO UPDATE SET ${updates}`,
      [JSON.stringify(upserts)],
    );
  }
}
