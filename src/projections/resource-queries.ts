/** What the API reads from a resource kind's read model. */
import type pg from 'pg';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import { readCheckpoint } from './checkpoints.js';
import { resourceProjection, type ResourceRow } from './resources.js';

/** the row every query answers with */
export type { ResourceRow };

export interface ListOptions {
  readonly namespace?: string;
  readonly skip: number;
  readonly limit: number;
  /** only rows this owner has, or in these namespaces (a caller without `read:all`) */
  readonly visibleTo?: { readonly ownerId: string; readonly namespaces: readonly string[] };
}

export class ResourceQueries {
  constructor(private readonly pool: pg.Pool) {}

  async list(kind: ResourceKind, o: ListOptions): Promise<{ rows: ResourceRow[]; total: number }> {
    const params: unknown[] = [o.limit, o.skip];
    const conditions: string[] = [];
    if (o.namespace !== undefined) {
      params.push(o.namespace);
      conditions.push(`namespace = $${params.length}`);
    }
    if (o.visibleTo) {
      params.push(o.visibleTo.ownerId, [...o.visibleTo.namespaces]);
      conditions.push(`(owner_id = $${params.length - 1} OR namespace = ANY($${params.length}))`);
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const { rows } = await this.pool.query<ResourceRow & { total: string }>(
      `SELECT *, count(*) OVER () AS total FROM ${kind.table} ${where} ORDER BY namespace, name LIMIT $1 OFFSET $2`,
      params,
    );
    return {
      rows,
      total: rows[0] ? Number(rows[0].total) : o.visibleTo ? 0 : await this.count(kind, o.namespace),
    };
  }

  private async count(kind: ResourceKind, namespace?: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${kind.table}${namespace !== undefined ? ' WHERE namespace = $1' : ''}`,
      namespace !== undefined ? [namespace] : [],
    );
    return Number(rows[0]!.n);
  }

  async get(kind: ResourceKind, namespace: string, name: string): Promise<ResourceRow | undefined> {
    const { rows } = await this.pool.query<ResourceRow>(
      `SELECT * FROM ${kind.table} WHERE namespace = $1 AND name = $2`,
      [namespace, name],
    );
    return rows[0];
  }

  async getById(kind: ResourceKind, id: string): Promise<ResourceRow | undefined> {
    const { rows } = await this.pool.query<ResourceRow>(`SELECT * FROM ${kind.table} WHERE id = $1`, [id]);
    return rows[0];
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
