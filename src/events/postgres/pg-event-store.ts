/** The Postgres adapter of the EventStore port (the embedded default; DESIGN §3-§4). */
import pg from 'pg';
import type { Observable } from 'rxjs';
import type {
  AllFilter,
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  ReplayedEvent,
  ReplayOptions,
  SubscribeAllOptions,
  SubscribeStreamOptions,
} from '../event-store.js';
import { ConcurrencyError } from '../../errors.js';
import { categoryOf } from '../stream-names.js';
import { AppendBatcher } from './append-batcher.js';
import { catchUpThenLive } from './catch-up.js';
import { DELETED_CHANNEL, HeadWatcher } from './head-watcher.js';
import {
  EVENT_COLUMNS,
  PAGE_TYPES,
  STREAM_PAGE_COLUMNS,
  toLazyRecorded,
  toRecorded,
  replayColumns,
  toReplayed,
  type EventRow,
  type ReplayRow,
  type StreamPageRow,
} from './rows.js';
import { TailReader } from './tail-reader.js';
import { inTransactionOn } from './with-client.js';

const PAGE = 1000;
/** a resuming SSE client gets its first events after a small read, not after a whole page */
const FIRST_PAGE = 50;
/** a replay reads this many pages of STREAM_PAGE at a time (revisions are dense) */
const PARALLEL_PAGES = 4;
const STREAM_PAGE = 250;

export class PgEventStore implements EventStore {
  readonly kind = 'postgres';
  private readonly batcher: AppendBatcher;
  private readonly head: HeadWatcher;
  private readonly tail: TailReader;

  /** `connectionString` is used for the dedicated LISTEN connection; `pool` for everything else. */
  constructor(
    private readonly pool: pg.Pool,
    connectionString: string,
  ) {
    this.head = new HeadWatcher(connectionString, pool);
    this.batcher = new AppendBatcher(pool, (before, events) => this.tail.appended(before, events));
    this.tail = new TailReader(pool, this.head, () => this.batcher.inFlightSettled());
  }

  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return this.batcher.append(stream, events, expected);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const params: unknown[] = [stream];
    let where = 'stream_name = $1';
    if (options.fromRevision !== undefined) {
      params.push(String(options.fromRevision));
      where += backwards ? ' AND revision <= $2' : ' AND revision >= $2';
    }
    let limit = '';
    if (options.maxCount !== undefined) {
      params.push(Math.max(0, Math.floor(options.maxCount)));
      limit = ` LIMIT $${params.length}`;
    }
    const { rows } = await this.pool.query<EventRow>({
      // one prepared statement per shape (parsed and planned once per connection)
      name: `sinas_es_read_${backwards ? 'back' : 'fwd'}${options.fromRevision !== undefined ? '_from' : ''}${limit ? '_max' : ''}`,
      text: `SELECT ${EVENT_COLUMNS} FROM es_events WHERE ${where} ORDER BY revision ${backwards ? 'DESC' : 'ASC'}${limit}`,
      values: params,
    });
    return rows.map(toRecorded);
  }

  recentEvents(stream: string, after: { revision: bigint; position?: bigint }): RecordedEvent[] | undefined {
    return this.tail.recentOf(stream, after);
  }

  recentPosition(): bigint | undefined {
    return this.tail.position;
  }

  async streamRevision(stream: string): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ revision: string }>(
      'SELECT revision FROM es_streams WHERE stream_name = $1',
      [stream],
    );
    return rows[0] ? BigInt(rows[0].revision) : undefined;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const params: unknown[] = [String(options.after ?? 0n)];
    const where = ['position > $1', ...filterSql(options.filter, params)];
    const limit = options.maxCount !== undefined ? ` LIMIT ${Math.max(0, Math.floor(options.maxCount))}` : '';
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE ${where.join(' AND ')} ORDER BY position${limit}`,
      params,
    );
    return rows.map(toRecorded);
  }

  subscribeToAll(options: SubscribeAllOptions = {}): Observable<RecordedEvent> {
    const start = options.after ?? 0n;
    const at = (cursor: RecordedEvent | undefined) => cursor?.position ?? start;
    return catchUpThenLive(this.tail, {
      pageSize: PAGE,
      readPage: (cursor, max) => this.readAll({ after: at(cursor), maxCount: max, filter: options.filter }),
      matches: (e) => matchesFilter(e, options.filter),
      isAfter: (e, cursor) => e.position > at(cursor),
      fromRecent: () => this.tail.recentAfter(start, (e) => matchesFilter(e, options.filter)),
    });
  }

  subscribeToStream(stream: string, options: SubscribeStreamOptions = {}): Observable<RecordedEvent> {
    const start = options.afterRevision ?? -1n;
    const at = (cursor: RecordedEvent | undefined) => cursor?.revision ?? start;
    return catchUpThenLive(this.tail, {
      pageSize: PAGE,
      firstPageSize: FIRST_PAGE,
      readPage: async (cursor, max) => {
        const { rows } = await this.streamRange<StreamPageRow>(
          STREAM_PAGE_COLUMNS,
          stream,
          { from: at(cursor) + 1n, offset: 0n, max },
          { name: 'sinas_es_stream_page', types: PAGE_TYPES },
        );
        return rows.map((row) => toLazyRecorded(stream, row));
      },
      matches: (e) => e.streamName === stream,
      isAfter: (e, cursor) => e.revision > at(cursor),
      fromRecent: () => this.tail.recentOf(stream, { revision: start }),
    });
  }

  async *readStreamReplay(
    stream: string,
    afterRevision: bigint,
    options: ReplayOptions = {},
  ): AsyncIterable<readonly ReplayedEvent[]> {
    const fields = options.fields ?? [];
    // a small first page, the next with it, then up to PARALLEL_PAGES ahead, none past the last
    // revision the first page saw; a short page is the end (revisions are dense)
    const ahead: { page: Promise<{ events: ReplayedEvent[]; last: bigint | undefined }>; max: number }[] = [];
    const from = afterRevision + 1n;
    let next = from;
    const readAhead = (max: number) => {
      const page = this.replayPage(stream, { from, offset: next - from, max }, fields);
      page.catch(() => {}); // awaited below, unless the replay stops first
      ahead.push({ page, max });
      next += BigInt(max);
    };
    readAhead(FIRST_PAGE);
    readAhead(STREAM_PAGE);
    let last: bigint | undefined;
    for (;;) {
      const { page, max } = ahead.shift()!;
      const { events, last: seen } = await page;
      last ??= seen;
      if (events.length > 0) yield events;
      if (events.length < max) return;
      while (ahead.length < PARALLEL_PAGES && (ahead.length === 0 || (last !== undefined && next <= last)))
        readAhead(STREAM_PAGE);
    }
  }

  /** A replay page, and the stream's last revision as it was read. */
  private async replayPage(
    stream: string,
    range: StreamRange,
    fields: readonly string[],
  ): Promise<{ events: ReplayedEvent[]; last: bigint | undefined }> {
    const { rows } = await this.streamRange<ReplayRow>(
      `${replayColumns(fields, 5)}, (SELECT revision FROM es_streams WHERE stream_name = $1) AS last`,
      stream,
      range,
      { name: `sinas_es_replay_page_${fields.length}`, values: fields },
    );
    return {
      events: rows.map((row) => toReplayed(row, fields)),
      last: rows[0] ? BigInt(rows[0].at(-1) as string) : undefined,
    };
  }

  /**
   * Up to `range.max` events of a stream, `range.offset` revisions past its start (`range.from`,
   * or its first kept revision when truncateBefore dropped those before), as arrays of `columns`
   * (whose own parameters, `values`, are $5 on). A stream's kept revisions are dense, so the page
   * is a range of them, which spares Postgres reading the rest. `name`: the prepared statement's,
   * one per text (parsed and planned once per connection).
   */
  private streamRange<R extends unknown[]>(
    columns: string,
    stream: string,
    range: StreamRange,
    options: { name: string; types?: typeof PAGE_TYPES; values?: readonly unknown[] },
  ): Promise<pg.QueryArrayResult<R>> {
    const start = `GREATEST($2::bigint, (SELECT min(revision) FROM es_events WHERE stream_name = $1)) + $3::bigint`;
    return this.pool.query<R>({
      name: options.name,
      text: `SELECT ${columns} FROM es_events
              WHERE stream_name = $1 AND revision >= ${start} AND revision < ${start} + $4::bigint
              ORDER BY revision`,
      values: [stream, String(range.from), String(range.offset), range.max, ...(options.values ?? [])],
      rowMode: 'array',
      ...(options.types ? { types: options.types } : {}),
    });
  }

  async deleteStream(stream: string, expected?: bigint): Promise<void> {
    await inTransactionOn(this.pool, 'BEGIN', async (client) => {
      await client.query('SELECT position FROM es_head WHERE id FOR UPDATE');
      const { rows } = await client.query<{ revision: string }>(
        'DELETE FROM es_streams WHERE stream_name = $1 RETURNING revision',
        [stream],
      );
      const actual = rows[0]?.revision;
      if (expected !== undefined && actual !== String(expected))
        throw new ConcurrencyError(stream, String(expected), actual ?? 'no_stream'); // rolls back
      await client.query('DELETE FROM es_events WHERE stream_name = $1', [stream]);
      await client.query('SELECT pg_notify($1, $2)', [DELETED_CHANNEL, stream]);
    });
    this.tail.forget(stream);
  }

  async truncateBefore(stream: string, revision: bigint): Promise<void> {
    await this.pool.query('DELETE FROM es_events WHERE stream_name = $1 AND revision < $2', [
      stream,
      String(revision),
    ]);
    // other processes' memories keep the dropped events until they age out of them (recentEvents
    // answers only after a revision a caller knew, which a stream being truncated is long past)
    this.tail.forgetBefore(stream, revision);
  }

  async headPosition(): Promise<bigint> {
    const { rows } = await this.pool.query<{ position: string }>('SELECT position FROM es_head WHERE id');
    return BigInt(rows[0]?.position ?? 0);
  }

  watchHead(): Observable<bigint> {
    return this.head.watch();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1 FROM es_head');
  }

  async close(): Promise<void> {
    this.tail.stop();
    await this.head.stop();
  }
}

/** see streamRange */
interface StreamRange {
  readonly from: bigint;
  readonly offset: bigint;
  readonly max: number;
}

function filterSql(filter: AllFilter | undefined, params: unknown[]): string[] {
  const where: string[] = [];
  if (filter?.categories) {
    params.push(filter.categories);
    where.push(`category = ANY($${params.length}::text[])`);
  }
  if (filter?.eventTypes) {
    params.push(filter.eventTypes);
    where.push(`event_type = ANY($${params.length}::text[])`);
  }
  return where;
}

export function matchesFilter(e: RecordedEvent, filter: AllFilter | undefined): boolean {
  if (filter?.categories && !filter.categories.includes(categoryOf(e.streamName))) return false;
  if (filter?.eventTypes && !filter.eventTypes.includes(e.type)) return false;
  return true;
}
