/** projection_checkpoints: one row per projection, locked FOR UPDATE by whoever writes its rows. */
import type pg from 'pg';
import { escapeLiteral } from 'pg';
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

/** Writes the checkpoint and tells waiting API processes (delivered at commit); one round trip. */
export async function writeCheckpoint(
  db: Queryable,
  name: string,
  position: bigint,
  version?: number,
): Promise<void> {
  await db.query(
    `UPDATE projection_checkpoints SET position = $2, version = COALESCE($3, version), updated_at = now()
      WHERE name = $1 RETURNING pg_notify($4, name || ':' || position)`,
    [name, String(position), version ?? null, PROJECTION_CHANNEL],
  );
}

/**
 * Opens a transaction and locks the projection's checkpoint row in one round trip (a simple query
 * of three statements; the name is a literal, escaped); the caller commits or rolls back. The commit
 * does not wait for the WAL flush: the batch's rows and its checkpoint are lost together in a crash,
 * so its events are applied again; read models need not wait (the events they come from do).
 */
export async function beginWithCheckpointLocked(
  client: pg.PoolClient,
  name: string,
): Promise<Checkpoint | undefined> {
  const results = (await client.query(
    `BEGIN; SET LOCAL synchronous_commit TO off;
     SELECT position, version FROM projection_checkpoints WHERE name = ${client.escapeLiteral(name)} FOR UPDATE`,
  )) as unknown as pg.QueryResult<{ position: string; version: number }>[];
  const row = results.at(-1)!.rows[0];
  return row ? { position: BigInt(row.position), version: row.version } : undefined;
}

/**
 * Moves the checkpoint, tells waiting API processes, and commits: one round trip (a simple query;
 * the name and the notification are escaped literals, the position a number).
 */
export async function commitWithCheckpoint(
  client: pg.PoolClient,
  name: string,
  position: bigint,
): Promise<void> {
  await client.query(`${moveCheckpointSql(name, position)};\n COMMIT`);
}

/** The statement that moves a checkpoint and tells waiting API processes (escaped literals). */
export function moveCheckpointSql(name: string, position: bigint): string {
  return `UPDATE projection_checkpoints SET position = ${position}, updated_at = now() WHERE name = ${escapeLiteral(name)}
       RETURNING pg_notify(${escapeLiteral(PROJECTION_CHANNEL)}, ${escapeLiteral(`${name}:${position}`)})`;
}

export async function listCheckpoints(db: Queryable): Promise<Map<string, Checkpoint>> {
  const { rows } = await db.query<{ name: string; position: string; version: number }>(
    'SELECT name, position, version FROM projection_checkpoints',
  );
  return new Map(rows.map((r) => [r.name, { position: BigInt(r.position), version: r.version }]));
}
