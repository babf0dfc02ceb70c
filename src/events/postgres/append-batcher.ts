/**
 * Group commit for the Postgres event store. Appends that arrive while a batch is committing wait
 * and go together in the next one: one transaction, one WAL flush, many appends. Each append still
 * gets its own expected-revision check (made under the es_head row lock, so it holds across processes)
 * and succeeds or fails alone.
 */
import type pg from 'pg';
import { SinasError, UnavailableError } from '../../errors.js';
import type { AppendResult, ExpectedRevision, NewEvent } from '../event-store.js';
import { checkExpectedRevision } from '../expected-revision.js';
import { categoryOf } from '../stream-names.js';

export const HEAD_CHANNEL = 'sinas_es_head';
const MAX_BATCH = 500;

interface PendingAppend {
  readonly stream: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  /** set once its promise is settled, so a retry never writes an append whose caller saw an error */
  settled?: boolean;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

interface Accepted {
  readonly append: PendingAppend;
  readonly firstRevision: bigint;
  readonly firstPosition: bigint;
}

class CommitUnknownError extends UnavailableError {}

export class AppendBatcher {
  private queue: PendingAppend[] = [];
  private flushing = false;

  constructor(private readonly pool: pg.Pool) {}

  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expected, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.commitBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commitBatch(batch: PendingAppend[]): Promise<void> {
    try {
      const accepted = await this.writeBatch(batch);
      for (const a of accepted) a.append.resolve(resultOf(a));
    } catch (err) {
      // A data error in one append (say, a string Postgres can't store) must not fail the others:
      // retry one by one, unless the commit itself may have happened.
      if (batch.length > 1 && !(err instanceof CommitUnknownError) && isDataError(err)) {
        for (const one of batch) if (!one.settled) await this.commitBatch([one]);
      } else {
        for (const p of batch) p.reject(err);
      }
    }
  }

  /** One transaction for the whole batch. Rejects (only) appends whose expected revision fails. */
  private async writeBatch(batch: PendingAppend[]): Promise<Accepted[]> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const { head, revisions } = await lockHead(client, [...new Set(batch.map((p) => p.stream))]);
      const accepted = planBatch(batch, head, revisions);
      if (accepted.length === 0 || accepted.every((a) => a.append.events.length === 0)) {
        await client.query('ROLLBACK');
        return accepted;
      }
      await insertEvents(client, accepted, revisions);
      try {
        await client.query('COMMIT');
      } catch (err) {
        broken = true;
        throw new CommitUnknownError(`event store commit outcome unknown: ${(err as Error).message}`);
      }
      return accepted;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

async function lockHead(
  client: pg.PoolClient,
  streams: string[],
): Promise<{ head: bigint; revisions: Map<string, bigint> }> {
  // Two statements on purpose: under READ COMMITTED a statement reads from the snapshot it started
  // with, so revisions must be read by a statement that starts after the lock is held.
  const head = await client.query<{ position: string }>('SELECT position FROM es_head WHERE id FOR UPDATE');
  const { rows } = await client.query<{ stream_name: string; revision: string }>(
    'SELECT stream_name, revision FROM es_streams WHERE stream_name = ANY($1::text[])',
    [streams],
  );
  const revisions = new Map(rows.map((r) => [r.stream_name, BigInt(r.revision)]));
  return { head: BigInt(head.rows[0]!.position), revisions };
}

/** Decides, in arrival order, which appends pass their check; advances `revisions` as it goes. */
function planBatch(batch: PendingAppend[], head: bigint, revisions: Map<string, bigint>): Accepted[] {
  const accepted: Accepted[] = [];
  let position = head;
  for (const p of batch) {
    const current = revisions.get(p.stream);
    try {
      checkExpectedRevision(p.stream, p.expected, current);
    } catch (err) {
      p.settled = true;
      p.reject(err);
      continue;
    }
    const firstRevision = current === undefined ? 0n : current + 1n;
    accepted.push({ append: p, firstRevision, firstPosition: position + 1n });
    position += BigInt(p.events.length);
    if (p.events.length > 0) revisions.set(p.stream, firstRevision + BigInt(p.events.length) - 1n);
  }
  return accepted;
}

async function insertEvents(
  client: pg.PoolClient,
  accepted: Accepted[],
  revisions: Map<string, bigint>,
): Promise<void> {
  const cols: string[][] = [[], [], [], [], [], [], [], []];
  let last = 0n;
  for (const a of accepted) {
    a.append.events.forEach((e, i) => {
      last = a.firstPosition + BigInt(i);
      const row = [
        String(last),
        a.append.stream,
        String(a.firstRevision + BigInt(i)),
        categoryOf(a.append.stream),
        e.id,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
      ];
      row.forEach((v, c) => cols[c]!.push(v));
    });
  }
  const touched = [
    ...new Set(accepted.filter((a) => a.append.events.length > 0).map((a) => a.append.stream)),
  ];
  await client.query(
    `WITH ins AS (
       INSERT INTO es_events (position, stream_name, revision, category, event_id, event_type, data, metadata)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::uuid[], $6::text[], $7::jsonb[], $8::jsonb[])
     ), st AS (
       INSERT INTO es_streams (stream_name, revision) SELECT * FROM unnest($9::text[], $10::bigint[])
       ON CONFLICT (stream_name) DO UPDATE SET revision = EXCLUDED.revision
     ), hd AS (
       UPDATE es_head SET position = $11::bigint WHERE id
     )
     SELECT pg_notify('${HEAD_CHANNEL}', $11::text)`,
    [...cols, touched, touched.map((s) => String(revisions.get(s))), String(last)],
  );
}

function resultOf(a: Accepted): AppendResult {
  const n = BigInt(a.append.events.length);
  return { nextExpectedRevision: a.firstRevision + n - 1n, position: a.firstPosition + n - 1n };
}

function isDataError(err: unknown): boolean {
  if (err instanceof SinasError) return false;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
