/**
 * The `packages` read model (reference §5.13): one row per installed package, with its metadata and
 * the resources it manages. An uninstalled package's row goes. One statement per event.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import { PACKAGE_CATEGORY, type PackageEvent } from '../events/package-events.js';
import type { Projection, TableNames } from './projection.js';

export const packagesProjection: Projection = {
  name: 'packages',
  version: 1,
  filter: { categories: [PACKAGE_CATEGORY] },
  tables: ['packages'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.packages} (
      name text PRIMARY KEY,
      id uuid NOT NULL,
      version text NOT NULL,
      description text,
      author text,
      source_url text,
      resources jsonb NOT NULL,
      installed_by text NOT NULL,
      installed_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      position bigint NOT NULL
    );`,
  async apply(tx, events, t) {
    for (const e of events) await applyOne(tx, e, t);
  },
};

async function applyOne(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as PackageEvent;
  const position = String(e.position);
  switch (ev.type) {
    case 'PackageInstalled': {
      const d = ev.data;
      // the first install's event id names the package until it is uninstalled
      await tx.query(
        `INSERT INTO ${t.packages} (name, id, version, description, author, source_url, resources,
           installed_by, installed_at, updated_at, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
         ON CONFLICT (name) DO UPDATE SET version = $3, description = $4, author = $5, source_url = $6,
           resources = $7, updated_at = $9, position = $10`,
        [
          d.name,
          e.id,
          d.version,
          d.description ?? null,
          d.author ?? null,
          d.url ?? null,
          JSON.stringify(d.resources),
          d.by,
          d.at,
          position,
        ],
      );
      return;
    }
    case 'PackageUninstalled':
      await tx.query(`DELETE FROM ${t.packages} WHERE name = $1`, [ev.data.name]);
      return;
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}
