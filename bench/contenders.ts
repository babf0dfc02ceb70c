/**
 * The three single-event writers the append benchmark compares: Sinas's command path, raw `pg`
 * single-row INSERTs, and Emmett's PostgreSQL event store. Each writer appends to its own stream,
 * rotating to a fresh stream every STREAM_LEN appends (an aggregate's typical length).
 */
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CommandHandler } from '../src/commands/command-handler.js';
import { ConcurrencyError } from '../src/errors.js';
import { PgEventStore } from '../src/events/postgres/pg-event-store.js';
import { counterDecider } from './counter.js';
import { benchPool } from './db.js';

export const STREAM_LEN = 100;

export interface Contender {
  readonly name: string;
  op(writer: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Stream rotation: writers share a stream in groups of `perStream` (1: each its own); a group moves
 * to a fresh stream every STREAM_LEN appends. Returns the stream and whether it is new.
 */
class Streams {
  private readonly counts: number[];
  constructor(
    private readonly prefix: string,
    writers: number,
    private readonly perStream = 1,
  ) {
    this.counts = new Array<number>(Math.ceil(writers / perStream)).fill(0);
  }
  next(w: number): { stream: string; fresh: boolean } {
    const g = Math.floor(w / this.perStream);
    const n = this.counts[g]!++;
    return { stream: `${this.prefix}-${g}x${Math.floor(n / STREAM_LEN)}`, fresh: n % STREAM_LEN === 0 };
  }
}

export interface OursStats {
  /** append batches the AppendBatcher sent (calls of es_append_batch) */
  batches: number;
  commands: number;
  /** appends rejected with a ConcurrencyError (the handler then reloads and retries) */
  conflicts: number;
  /** commands that still conflicted after the handler's retries (only counted with shared streams) */
  gaveUp: number;
}

/** CommandHandler → PgEventStore (group-committed appends); `perStream` writers share each stream. */
export function ours(
  url: string,
  writers: number,
  poolMax: number,
  perStream = 1,
): Contender & { stats: OursStats } {
  const pool = benchPool(url, poolMax);
  const stats: OursStats = { batches: 0, commands: 0, conflicts: 0, gaveUp: 0 };
  countTransactions(pool, stats);
  const store = new PgEventStore(pool, url);
  countConflicts(store, stats);
  const handler = new CommandHandler(store);
  const streams = new Streams(perStream === 1 ? 'counter' : 'shared', writers, perStream);
  return {
    name: perStream === 1 ? 'ours' : 'ours_shared',
    stats,
    async op(w) {
      const { stream } = streams.next(w);
      const command = { type: 'Increment', by: 1 } as const;
      try {
        await handler.handle(counterDecider, stream, command, { commandId: randomUUID(), actor: 'bench' });
        stats.commands++;
      } catch (err) {
        if (perStream === 1 || !(err instanceof ConcurrencyError)) throw err;
        stats.gaveUp++;
      }
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

function countConflicts(store: PgEventStore, stats: OursStats): void {
  const append = store.append.bind(store);
  store.append = (...args) =>
    append(...args).catch((err: unknown) => {
      if (err instanceof ConcurrencyError) stats.conflicts++;
      throw err;
    });
}

/** Counts the batches the AppendBatcher sends (one es_append_batch call each). */
function countTransactions(pool: pg.Pool, stats: OursStats): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | undefined)?.text;
    if (typeof text === 'string' && text.includes('es_append_batch')) stats.batches++;
    return query(...args);
  };
}

export const RAW_TABLE_SQL = `CREATE TABLE IF NOT EXISTS bench_raw_events (
  id uuid PRIMARY KEY, stream_name text NOT NULL, data jsonb NOT NULL)`;

/** One dedicated `pg` client per writer; each append is one autocommit single-row INSERT. */
export async function rawPg(url: string, writers: number): Promise<Contender> {
  const clients = await Promise.all(
    Array.from({ length: writers }, async () => {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => {});
      await c.connect();
      return c;
    }),
  );
  await clients[0]!.query(RAW_TABLE_SQL);
  const streams = new Streams('raw', writers);
  return {
    name: 'raw',
    op(w) {
      const id = randomUUID();
      const data = JSON.stringify({ by: 1, actor: 'bench', commandId: id, version: 1 });
      return clients[w]!.query('INSERT INTO bench_raw_events (id, stream_name, data) VALUES ($1, $2, $3)', [
        id,
        streams.next(w).stream,
        data,
      ]);
    },
    async close() {
      await Promise.all(clients.map((c) => c.end()));
    },
  };
}

/** Emmett's appendToStream with an expected stream version tracked per writer (no read per append). */
export async function emmett(url: string, writers: number): Promise<Contender> {
  const pool = benchPool(url, writers);
  const store: PostgresEventStore = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
  await store.schema.migrate();
  const streams = new Streams('emmett', writers);
  const versions = new Array<bigint>(writers).fill(0n);
  return {
    name: 'emmett',
    async op(w) {
      const { stream, fresh } = streams.next(w);
      const r = await store.appendToStream(
        stream,
        [{ type: 'Incremented', data: { by: 1 }, metadata: { actor: 'bench', commandId: randomUUID() } }],
        { expectedStreamVersion: fresh ? STREAM_DOES_NOT_EXIST : versions[w]! },
      );
      versions[w] = r.nextExpectedStreamVersion;
    },
    async close() {
      await store.close();
      await pool.end().catch(() => {});
    },
  };
}
