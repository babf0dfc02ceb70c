/** What the API reads from a kind's read model: the columns it may show, never sealed values. */
import type pg from 'pg';
import { columnOf, keyOf, readModelOf, visibleColumns } from '../commands/resource/read-model.js';
import {
  byId,
  ownershipOf,
  PRIVATE_NAMESPACE,
  SHARED_NAMESPACE,
  type ResourceKind,
} from '../commands/resource/resource-kind.js';
import { readCheckpoint } from './checkpoints.js';
import { fromRow, resourceProjection, type ItemRecord, type ResourceRow } from './resources.js';

/** the row every query answers with */
export type { ResourceRow };

export interface ListOptions {
  readonly namespace?: string;
  /** only rows in one of these namespaces (an application's exposed namespaces) */
  readonly namespaces?: readonly string[];
  readonly skip: number;
  readonly limit: number;
  /** only rows this owner has, or in these namespaces (a caller without `read:all`) */
  readonly visibleTo?: { readonly ownerId: string; readonly namespaces: readonly string[] };
}

/**
 * The rows a reader without `read:all` sees: their own, plus those in the namespaces they were
 * granted; for a kind with a visibility field, in those namespaces (or anywhere, when the reader's
 * `read:own` covers every namespace) only the items not `private`, never another's private one.
 */
function visibleCondition(
  kind: ResourceKind,
  visibleTo: NonNullable<ListOptions['visibleTo']>,
  params: unknown[],
): string {
  const layout = readModelOf(kind);
  const ns = columnOf(layout, 'namespace');
  const spec = columnOf(layout, 'spec');
  params.push(visibleTo.ownerId);
  const owned = `owner_id = $${params.length}`;
  if (!ns) return owned;
  params.push([...visibleTo.namespaces]);
  const granted = `${ns} = ANY($${params.length})`;
  if (!kind.visibilityField || !spec) return `(${owned} OR ${granted})`;
  params.push(kind.visibilityField);
  const open = `coalesce(${spec}->>$${params.length}, 'private') <> 'private'`;
  const anywhere = `cardinality($${params.length - 1}::text[]) = 0`;
  return `(${owned} OR (${open} AND (${anywhere} OR ${granted})))`;
}

export class ResourceQueries {
  constructor(private readonly pool: pg.Pool) {}

  async list(kind: ResourceKind, o: ListOptions): Promise<{ rows: ResourceRow[]; total: number }> {
    const layout = readModelOf(kind);
    const ns = columnOf(layout, 'namespace');
    const params: unknown[] = [o.limit, o.skip];
    const conditions: string[] = [];
    if (o.namespace !== undefined && ns) {
      params.push(o.namespace);
      conditions.push(`${ns} = $${params.length}`);
    }
    if (o.namespaces !== undefined && ns) {
      params.push([...o.namespaces]);
      conditions.push(`${ns} = ANY($${params.length})`);
    }
    if (o.visibleTo) conditions.push(visibleCondition(kind, o.visibleTo, params));
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const { rows } = await this.pool.query<ResourceRow & { total: string }>(
      `SELECT ${visibleColumns(kind).join(', ')}, count(*) OVER () AS total FROM ${kind.table} ${where}
        ORDER BY ${layout.order} LIMIT $1 OFFSET $2`,
      params,
    );
    return {
      rows,
      total: rows[0]
        ? Number(rows[0].total)
        : o.visibleTo || o.namespaces
          ? 0
          : await this.count(kind, o.namespace),
    };
  }

  private async count(kind: ResourceKind, namespace?: string): Promise<number> {
    const ns = columnOf(readModelOf(kind), 'namespace');
    const filtered = namespace !== undefined && ns;
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${kind.table}${filtered ? ` WHERE ${ns} = $1` : ''}`,
      filtered ? [namespace] : [],
    );
    return Number(rows[0]!.n);
  }

  /** The item at namespace/name (the owner places a private one; kinds by id: `name` is the id). */
  async get(
    kind: ResourceKind,
    namespace: string,
    name: string,
    ownerId?: string,
  ): Promise<ResourceRow | undefined> {
    const layout = readModelOf(kind);
    const columns = visibleColumns(kind).join(', ');
    if (byId(kind)) return this.getById(kind, name);
    if (ownershipOf(kind) === 'visibility') {
      const key =
        namespace === PRIVATE_NAMESPACE ? `${namespace}/${ownerId}/${name}` : `${namespace}/${name}`;
      const { rows } = await this.pool.query<ResourceRow>(
        `SELECT ${columns} FROM ${kind.table} WHERE ${keyOf(layout)} = $1`,
        [key],
      );
      return rows[0];
    }
    const ns = columnOf(layout, 'namespace') ?? 'namespace';
    const { rows } = await this.pool.query<ResourceRow>(
      `SELECT ${columns} FROM ${kind.table} WHERE ${ns} = $1 AND name = $2`,
      [namespace, name],
    );
    return rows[0];
  }

  async getById(kind: ResourceKind, id: string): Promise<ResourceRow | undefined> {
    const { rows } = await this.pool.query<ResourceRow>(
      `SELECT ${visibleColumns(kind).join(', ')} FROM ${kind.table} WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  /**
   * Visibility kinds: the reader's private item of that name if there is one, else the shared one
   * (`namespace` picks one of the two).
   */
  async resolve(
    kind: ResourceKind,
    name: string,
    readerId: string,
    namespace?: string,
  ): Promise<ResourceRow | undefined> {
    const ns = columnOf(readModelOf(kind), 'namespace')!;
    const { rows } = await this.pool.query<ResourceRow>(
      `SELECT ${visibleColumns(kind).join(', ')} FROM ${kind.table}
        WHERE name = $1 AND (${ns} = '${SHARED_NAMESPACE}' OR owner_id = $2) AND ($3::text IS NULL OR ${ns} = $3)
        ORDER BY ${ns} = '${PRIVATE_NAMESPACE}' DESC LIMIT 1`,
      [name, readerId, namespace ?? null],
    );
    return rows[0];
  }

  /** Every item of a kind (or of one namespace), as records: what a config export or plan reads. */
  async all(kind: ResourceKind, namespace?: string): Promise<ItemRecord[]> {
    const out: ItemRecord[] = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await this.list(kind, { skip, limit: 1000, ...(namespace ? { namespace } : {}) });
      out.push(...page.rows.map((r) => this.record(kind, r)));
      if (page.rows.length < 1000) return out;
    }
  }

  /** An item of any layout from a row these queries returned. */
  record(kind: ResourceKind, row: ResourceRow): ItemRecord {
    return fromRow(readModelOf(kind), row as unknown as Record<string, unknown>);
  }

  /** The `$all` position the kind's read model has applied (its checkpoint); 0 before any. */
  async projectedTo(kind: ResourceKind): Promise<bigint> {
    const cp = await readCheckpoint(this.pool, resourceProjection(kind).name);
    return cp?.position ?? 0n;
  }

  /** Active resources with a boolean flag set (is_default), newest first. */
  async flagged(kind: ResourceKind, flag: string): Promise<ResourceRow[]> {
    const { rows } = await this.pool.query<ResourceRow>(
      `SELECT * FROM ${kind.table} WHERE (spec->>$1)::boolean ORDER BY position DESC`,
      [flag],
    );
    return rows;
  }

  async flagHolders(kind: ResourceKind, flag: string): Promise<{ namespace: string; name: string }[]> {
    const { rows } = await this.pool.query<{ namespace: string; name: string }>(
      `SELECT namespace, name FROM ${kind.table} WHERE (spec->>$1)::boolean`,
      [flag],
    );
    return rows;
  }
}
