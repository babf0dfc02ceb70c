/** What the API reads of installed packages: the `packages` read model. */
import type pg from 'pg';
import type { PackageResource } from '../events/package-events.js';

export interface PackageRow {
  id: string;
  name: string;
  version: string;
  description: string | null;
  author: string | null;
  source_url: string | null;
  resources: PackageResource[];
  installed_by: string;
  installed_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, name, version, description, author, source_url, resources, installed_by, installed_at,
  updated_at`;

export class PackageQueries {
  constructor(private readonly db: pg.Pool) {}

  async list(): Promise<PackageRow[]> {
    const { rows } = await this.db.query<PackageRow>(`SELECT ${COLUMNS} FROM packages ORDER BY name`);
    return rows;
  }

  async get(name: string): Promise<PackageRow | undefined> {
    const { rows } = await this.db.query<PackageRow>(`SELECT ${COLUMNS} FROM packages WHERE name = $1`, [
      name,
    ]);
    return rows[0];
  }
}
