/**
 * The read model of a configuration resource kind (agents, later functions, skills, ...): one row
 * per active resource, built in batches: load the rows a batch touches, fold in memory, write back
 * with one upsert and one delete.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import {
  resourceEventKind,
  type ResourceCreatedData,
  type ResourceUpdatedData,
} from '../events/resources/resource-events.js';
import { versionOfRevision } from '../events/versions.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import type { Projection, TableNames } from './projection.js';

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

const key = (namespace: string, name: string) => `${namespace}/${name}`;

export function resourceProjection(kind: ResourceKind): Projection {
  const table = kind.table;
  return {
    name: table,
    version: 2, // 2: `version` counts from 1
    filter: { categories: [kind.category] },
    tables: [table],
    createTables: (t) => `
      CREATE TABLE IF NOT EXISTS ${t[table]} (
        namespace text NOT NULL,
        name text NOT NULL,
        id uuid NOT NULL,
        version bigint NOT NULL,
        owner_id text NOT NULL,
        spec jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (namespace, name)
      );
      CREATE INDEX IF NOT EXISTS ${t[table]}_id_idx ON ${t[table]} (id);`,
    apply: (tx, events, t) => applyBatch(tx, kind, events, t),
  };
}

async function applyBatch(
  tx: pg.PoolClient,
  kind: ResourceKind,
  events: readonly RecordedEvent[],
  t: TableNames,
): Promise<void> {
  const table = t[kind.table]!;
  const rows = await loadRows(tx, table, events);
  const touched = new Set<string>();
  const flagWinners = new Map<string, string>();
  for (const e of events) {
    const k = e.streamName.slice(kind.category.length + 1);
    const next = evolveRow(kind, rows.get(k), e);
    if (next === undefined) continue;
    rows.set(k, next);
    touched.add(k);
    for (const flag of kind.uniqueFlags ?? []) if (next?.spec[flag] === true) flagWinners.set(flag, k);
  }
  for (const [flag, winner] of flagWinners) {
    for (const [k, row] of rows) {
      if (k !== winner && row?.spec[flag] === true) {
        rows.set(k, { ...row, spec: { ...row.spec, [flag]: false } });
        touched.add(k);
      }
    }
    await tx.query(
      `UPDATE ${table} SET spec = jsonb_set(spec, $1::text[], 'false')
        WHERE (spec->>$2)::boolean AND namespace || '/' || name <> $3`,
      [[flag], flag, winner],
    );
  }
  await writeRows(tx, table, rows, touched);
}

async function loadRows(
  tx: pg.PoolClient,
  table: string,
  events: readonly RecordedEvent[],
): Promise<Map<string, ResourceRow | null>> {
  const keys = [...new Set(events.map((e) => e.streamName.slice(e.streamName.indexOf('-') + 1)))];
  const { rows } = await tx.query<ResourceRow>(
    `SELECT * FROM ${table} WHERE namespace || '/' || name = ANY($1::text[])`,
    [keys],
  );
  return new Map(rows.map((r) => [key(r.namespace, r.name), r]));
}

/** The row after the event: a row, null (deleted), or undefined (the event doesn't concern rows). */
function evolveRow(kind: ResourceKind, row: ResourceRow | null | undefined, e: RecordedEvent) {
  const which = resourceEventKind(kind.type, e.type);
  const at = { version: versionOfRevision(e.revision), position: Number(e.position) };
  switch (which) {
    case 'Created': {
      const d = e.data as unknown as ResourceCreatedData;
      return {
        namespace: d.namespace,
        name: d.name,
        id: d.id,
        owner_id: d.ownerId,
        spec: { ...d.spec },
        created_at: d.at,
        updated_at: d.at,
        ...at,
      } satisfies ResourceRow;
    }
    case 'Updated': {
      if (!row) return undefined;
      const d = e.data as unknown as ResourceUpdatedData;
      return { ...row, spec: { ...row.spec, ...d.changes }, updated_at: d.at, ...at };
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
  rows: Map<string, ResourceRow | null>,
  touched: Set<string>,
): Promise<void> {
  const upserts = [...touched].map((k) => rows.get(k)).filter((r): r is ResourceRow => !!r);
  const deletes = [...touched].filter((k) => rows.get(k) === null);
  if (deletes.length > 0) {
    await tx.query(`DELETE FROM ${table} WHERE namespace || '/' || name = ANY($1::text[])`, [deletes]);
  }
  if (upserts.length > 0) {
    await tx.query(
      `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(null::${table}, $1::jsonb)
       ON CONFLICT (namespace, name) DO UPDATE SET id = EXCLUDED.id, version = EXCLUDED.version,
         owner_id = EXCLUDED.owner_id, spec = EXCLUDED.spec, created_at = EXCLUDED.created_at,
         updated_at = EXCLUDED.updated_at, position = EXCLUDED.position`,
      [JSON.stringify(upserts)],
    );
  }
}
