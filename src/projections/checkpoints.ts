/** projection_checkpoints: one row per projection, locked FOR UPDATE by whoever writes its rows. */
import type pg from 'pg';
import { PROJECTION_CHANNEL } from './projection.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface Checkpoint {
  readonly position: bigint;
  readonly version: number;
}

export async function ensureCheckpoint(db: Queryable, name: string, version: number): Promise<Checkpoint> {
  await db.query(
    'INSERT INTO projection_checkpoints (name, position, version) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING',
    [name, version],
  );
  return (await readCheckpoint(db, name))!;
}

export async function readCheckpoint(
  db: Queryable,
  name: string,
  forUpdate = false,
): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<{ position: string; version: number }>(
    `SELECT position, version FROM projection_checkpoints WHERE name = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return rows[0] ? { position: BigInt(rows[0].position), version: rows[0].version } : undefined;
}

/** Writes the checkpoint and tells waiting API processes (delivered at commit). */
export async function writeCheckpoint(
  db: Queryable,
  name: string,
  position: bigint,
  version?: number,
): Promise<void> {
  await db.query(
    `UPDATE projection_checkpoints SET position = $2, version = COALESCE($3, version), updated_at = now() WHERE name = $1`,
    [name, String(position), version ?? null],
  );
  await db.query('SELECT pg_notify($1, $2)', [PROJECTION_CHANNEL, `${name}:${position}`]);
}

export async function listCheckpoints(db: Queryable): Promise<Map<string, Checkpoint>> {
  const { rows } = await db.query<{ name: string; position: string; version: number }>(
    'SELECT name, position, version FROM projection_checkpoints',
  );
  return new Map(rows.map((r) => [r.name, { position: BigInt(r.position), version: r.version }]));
}
