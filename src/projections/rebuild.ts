/**
 * Rebuilds a projection from position 0 into fresh tables beside the live ones, then swaps them in
 * within one transaction that holds the checkpoint row lock (so live runners pause for the swap only).
 * The analyst views are rebound to the fresh tables in that transaction (analytics.ts).
 */
import type pg from 'pg';
import { IllegalStateError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import { upcast } from '../events/upcasters.js';
import { lockAnalytics, rebindAnalytics } from './analytics.js';
import { ensureCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoints.js';
import { rebuildTables, type Projection, type TableNames } from './projection.js';
import { inTransaction } from './transaction.js';
import { withClient } from '../events/postgres/with-client.js';

export interface RebuildProgress {
  readonly position: bigint;
  readonly head: bigint;
  readonly events: number;
}

export interface RebuildOptions {
  readonly batchSize?: number;
  readonly onProgress?: (p: RebuildProgress) => void;
}

export async function rebuildProjection(
  pool: pg.Pool,
  store: EventStore,
  projection: Projection,
  options: RebuildOptions = {},
): Promise<{ events: number; position: bigint }> {
  return withClient(pool, async (lock) => {
    try {
      const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
        `rebuild:${projection.name}`,
      ]);
      if (!rows[0]!.ok) throw new IllegalStateError(`a rebuild of ${projection.name} is already running`);
      return await rebuildUnlocked(pool, store, projection, options);
    } finally {
      // a lost connection released its session locks with it
      await lock.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    }
  });
}

async function rebuildUnlocked(
  pool: pg.Pool,
  store: EventStore,
  projection: Projection,
  options: RebuildOptions,
): Promise<{ events: number; position: bigint }> {
  const fresh = rebuildTables(projection);
  await pool.query(dropSql(fresh));
  await pool.query(projection.createTables(fresh));
  await ensureCheckpoint(pool, projection.name, projection.version);
  const head = await store.headPosition();
  let state = { position: 0n, events: 0 };
  state = await catchUp(pool, store, projection, fresh, state, head, options);
  return inTransaction(pool, async (tx) => {
    await lockAnalytics(tx);
    const live = (await readCheckpoint(tx, projection.name, true))!.position;
    state = await catchUp(tx, store, projection, fresh, state, live, options);
    const position = state.position > live ? state.position : live;
    await rebindAnalytics(tx, fresh); // the views now read the fresh tables, and follow their renames
    for (const t of projection.tables) {
      await tx.query(`DROP TABLE IF EXISTS ${t}`);
      await tx.query(`ALTER TABLE ${fresh[t]} RENAME TO ${t}`);
      await renameIndexes(tx, fresh[t]!, t);
    }
    await writeCheckpoint(tx, projection.name, position, projection.version);
    return { events: state.events, position };
  });
}

/** Applies every matching event after `state.position`, at least up to `until`. */
async function catchUp(
  db: pg.Pool | pg.PoolClient,
  store: EventStore,
  projection: Projection,
  tables: TableNames,
  state: { position: bigint; events: number },
  until: bigint,
  options: RebuildOptions,
): Promise<{ position: bigint; events: number }> {
  let { position, events } = state;
  while (position < until) {
    const batch = await store.readAll({
      after: position,
      maxCount: options.batchSize ?? 5000,
      filter: projection.filter,
    });
    if (batch.length === 0) break;
    if ('release' in db) await projection.apply(db, batch.map(upcast), tables);
    else await inTransaction(db, (tx) => projection.apply(tx, batch.map(upcast), tables));
    position = batch.at(-1)!.position;
    events += batch.length;
    options.onProgress?.({ position, head: until, events });
  }
  return { position: position > until ? position : until, events };
}

/** Index names follow the table, so the next rebuild can create its own under the fresh names. */
async function renameIndexes(tx: pg.PoolClient, from: string, to: string): Promise<void> {
  const { rows } = await tx.query<{ indexname: string }>(
    'SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1',
    [to],
  );
  for (const { indexname } of rows) {
    if (indexname.startsWith(from)) {
      await tx.query(`ALTER INDEX ${indexname} RENAME TO ${to}${indexname.slice(from.length)}`);
    }
  }
}

function dropSql(tables: TableNames): string {
  return Object.values(tables)
    .map((t) => `DROP TABLE IF EXISTS ${t};`)
    .join('\n');
}
