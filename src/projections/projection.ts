/** What a projection is: tables it owns, the events it reads, and a batch apply (DESIGN §6). */
import type pg from 'pg';
import type { AllFilter, RecordedEvent } from '../events/event-store.js';
import type { Statement } from './batch-sql.js';

/** logical table name → physical name (live tables, or fresh ones during a rebuild) */
export type TableNames = Readonly<Record<string, string>>;

export interface Projection {
  readonly name: string;
  /** bump when the rows' shape or meaning changes: workers then rebuild it beside the live one */
  readonly version: number;
  readonly filter?: AllFilter;
  /** logical names of the tables it owns; the live physical names are the same */
  readonly tables: readonly string[];
  /** idempotent DDL (CREATE ... IF NOT EXISTS) for its tables under the given names */
  createTables(t: TableNames): string;
  /** applies events (in `$all` order) inside the caller's transaction */
  apply(tx: pg.PoolClient, events: readonly RecordedEvent[], t: TableNames): Promise<void>;
  /**
   * What `apply` does, as statements that read nothing back (their order is the order to run them):
   * given this, a live runner sends a batch with its checkpoint in one round trip.
   */
  statements?(events: readonly RecordedEvent[], t: TableNames): Statement[];
}

export function liveTables(p: Projection): TableNames {
  return Object.fromEntries(p.tables.map((t) => [t, t]));
}

export function rebuildTables(p: Projection): TableNames {
  return Object.fromEntries(p.tables.map((t) => [t, `${t}__rebuild`]));
}

export const PROJECTION_CHANNEL = 'sinas_projection';
