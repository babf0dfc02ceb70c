/**
 * Group commit for the Postgres event store. Appends that arrive while batches are committing wait
 * and go together in the next one: one round trip to `es_append_batch` (infra/migrations/003), one
 * transaction, one WAL flush for many appends. Each append still gets its own expected-revision
 * check, made under the es_head row lock (so it holds across processes), and succeeds or fails alone.
 * Two batches may be in flight: the second waits on the head lock while the first commits, so the
 * database never idles while this process prepares the next batch.
 */
import type pg from 'pg';
import { isConnectionError, neverSent } from '../../dependency-errors.js';
import { ConcurrencyError, DependencyUnavailableError, OutcomeUnknownError } from '../../errors.js';
import type { AppendResult, ExpectedRevision, NewEvent, RecordedEvent } from '../event-store.js';
import { asStored, canonicalUuid } from './as-stored.js';

export const HEAD_CHANNEL = 'sinas_es_head';
const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 2;

interface PendingAppend {
  readonly stream: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

interface BatchResult {
  ok: boolean[];
  actual: (string | null)[];
  first_revision: (string | null)[];
  first_position: (string | null)[];
  /** the transaction's now(): every row's created_at */
  created_at: Date;
}

/**
 * Told of every committed batch: the `$all` position just before its first event, and the batch's
 * events as a reader would read them back (built only when asked for).
 */
export type CommitListener = (before: bigint, events: () => RecordedEvent[]) => void;

export class AppendBatcher {
  private queue: PendingAppend[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly flights = new Set<Promise<void>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly committed: CommitListener = () => {},
  ) {}

  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expected, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Settles once the batches now being written have been announced (undefined when none is): a
   * NOTIFY that races its own batch's result need not be read back from the database.
   */
  inFlightSettled(): Promise<void> | undefined {
    return this.flights.size > 0 ? Promise.all(this.flights).then(() => undefined) : undefined;
  }

  /**
   * Starts a batch once the current task is done, so appends made in it join the batch: at once
   * (a microtask) when nothing is being written, else on the next turn of the event loop, by when
   * more appends have queued behind the batches in flight.
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT || this.queue.length === 0) return;
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      if (this.inFlight >= MAX_IN_FLIGHT || this.queue.length === 0) return;
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      const flight: Promise<void> = this.commitBatch(batch).finally(() => {
        this.inFlight--;
        this.flights.delete(flight);
        this.schedule();
      });
      this.flights.add(flight);
      this.schedule();
    };
    if (this.inFlight === 0) queueMicrotask(start);
    else setImmediate(start);
  }

  private async commitBatch(batch: PendingAppend[]): Promise<void> {
    let result: BatchResult;
    let written: Written;
    try {
      written = this.rows(batch);
      result = await this.writeBatch(batch, written);
    } catch (err) {
      // A data error in one append (a string Postgres can't store, say) rolled back the batch and
      // must not fail the others: retry them one by one. Any other failure fails them all.
      if (batch.length > 1 && isDataError(err)) {
        for (const one of batch) await this.commitBatch([one]);
      } else {
        for (const p of batch) p.reject(outageOf(err));
      }
      return;
    }
    this.announce(batch, written, result);
    batch.forEach((p, i) => settle(p, result, i));
  }

  /** Tells the listener what the batch wrote; accepted events hold consecutive positions. */
  private announce(batch: PendingAppend[], written: Written, r: BatchResult): void {
    let before: bigint | undefined;
    batch.forEach((p, i) => {
      if (r.ok[i] && p.events.length > 0 && before === undefined) before = BigInt(r.first_position[i]!) - 1n;
    });
    if (before === undefined) return;
    this.committed(before, () => {
      const out: RecordedEvent[] = [];
      let k = 0;
      batch.forEach((p, i) => {
        if (!r.ok[i]) return void (k += p.events.length);
        const revision = BigInt(r.first_revision[i]!);
        const position = BigInt(r.first_position[i]!);
        p.events.forEach((e, o) => {
          out.push({
            id: canonicalUuid(e.id),
            type: e.type,
            data: asStored(written.data[k]!) as Record<string, unknown>,
            metadata: asStored(written.metadata[k]!) as RecordedEvent['metadata'],
            streamName: p.stream,
            revision: revision + BigInt(o),
            position: position + BigInt(o),
            createdAt: new Date(r.created_at.getTime()),
          });
          k++;
        });
      });
      return out;
    });
  }

  private rows(batch: PendingAppend[]): Written {
    const data: string[] = [];
    const metadata: string[] = [];
    for (const p of batch)
      for (const e of p.events) {
        data.push(JSON.stringify(e.data));
        metadata.push(JSON.stringify(e.metadata));
      }
    return { data, metadata };
  }

  private async writeBatch(batch: PendingAppend[], { data, metadata }: Written): Promise<BatchResult> {
    const appendOf: number[] = [];
    const offsetOf: number[] = [];
    const ids: string[] = [];
    const types: string[] = [];
    batch.forEach((p, a) =>
      p.events.forEach((e, o) => {
        appendOf.push(a + 1);
        offsetOf.push(o);
        ids.push(e.id);
        types.push(e.type);
      }),
    );
    const { rows } = await this.pool.query<BatchResult>({
      name: 'sinas_es_append_batch', // prepared once per connection: parsed and planned once
      text: `SELECT *, now() AS created_at FROM es_append_batch($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::uuid[], $7::text[], $8::jsonb[], $9::jsonb[])`,
      values: [
        batch.map((p) => p.stream),
        batch.map((p) => String(p.expected)),
        batch.map((p) => p.events.length),
        appendOf,
        offsetOf,
        ids,
        types,
        data,
        metadata,
      ],
    });
    return rows[0]!;
  }
}

/** Each event's data and metadata as JSON text, as sent to the database. */
interface Written {
  readonly data: string[];
  readonly metadata: string[];
}

function settle(p: PendingAppend, r: BatchResult, i: number): void {
  if (!r.ok[i]) {
    const actual = r.actual[i];
    p.reject(
      new ConcurrencyError(
        p.stream,
        String(p.expected),
        actual === null || actual === undefined ? 'no_stream' : actual,
      ),
    );
    return;
  }
  const n = BigInt(p.events.length);
  p.resolve({
    nextExpectedRevision: BigInt(r.first_revision[i]!) + n - 1n,
    position: BigInt(r.first_position[i]!) + n - 1n,
  });
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isDataError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * A failed batch as its appends' callers see it: refused before it reached the server (nothing
 * written), or lost on the way back (maybe written: the outcome is unknown), or not an outage.
 */
function outageOf(err: unknown): unknown {
  if (!isConnectionError(err)) return err;
  return neverSent(err)
    ? new DependencyUnavailableError('event store', err)
    : new OutcomeUnknownError('event store', err);
}
