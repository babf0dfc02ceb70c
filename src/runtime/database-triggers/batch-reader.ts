/**
 * Reads a trigger's next batch from its table: rows whose poll column is past `last_poll_value`, in
 * its order, at most `batch_size`, in a read-only transaction. Rows sharing the batch's last value
 * are never split across two batches (the next batch starts after that value, so a split would
 * skip the rest): a full batch whose last value goes on past it drops that trailing group, and a
 * batch that is one group is read whole. Values are compared as Postgres compares the column (the text of the
 * last value is cast to the column's type), never after a round trip through JavaScript.
 */
import type pg from 'pg';
import type { DataSource } from '../data-sources/data-sources.js';

export interface BatchTarget {
  readonly schemaName: string;
  readonly tableName: string;
  readonly pollColumn: string;
  readonly batchSize: number;
}

export interface Batch {
  readonly rows: Record<string, unknown>[];
  /** the poll column's value of the last row, as Postgres writes it as text */
  readonly lastValue: string;
}

/** the longest a batch read may take */
const READ_TIMEOUT_MS = 30_000;
const VALUE = '__sinas_poll_value';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function readBatch(
  source: DataSource,
  t: BatchTarget,
  after: string | null,
): Promise<Batch | undefined> {
  const col = `t.${ident(t.pollColumn)}`;
  const from = `${ident(t.schemaName)}.${ident(t.tableName)} AS t`;
  const select = `SELECT t.*, ${col}::text AS ${VALUE} FROM ${from}`;
  return source.run({ readOnly: true, timeoutMs: READ_TIMEOUT_MS }, async (client) => {
    const past = after === null ? `${col} IS NOT NULL` : `${col} > $1`;
    const params = after === null ? [] : [after];
    // one row more than the batch: whether the row after the batch shares the batch's last value
    const sql = `${select} WHERE ${past} ORDER BY ${col} LIMIT ${t.batchSize + 1}`;
    const read = (await client.query(sql, params)).rows as Record<string, unknown>[];
    if (read.length === 0) return undefined;
    let rows = read.slice(0, t.batchSize);
    const last = rows.at(-1)![VALUE] as string;
    if (read.length > t.batchSize && read[t.batchSize]![VALUE] === last) {
      const whole = rows.filter((r) => r[VALUE] !== last);
      rows = whole.length > 0 ? whole : await group(client, select, col, last);
    }
    return { rows: rows.map(plain), lastValue: rows.at(-1)![VALUE] as string };
  });
}

/** every row holding the poll value `value` (a batch that is one group of equal values) */
async function group(client: pg.PoolClient, select: string, col: string, value: string) {
  return (await client.query(`${select} WHERE ${col} = $1`, [value])).rows as Record<string, unknown>[];
}

/** a row as the function receives it: JSON values (dates as ISO text), without the value column */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const { [VALUE]: _v, ...rest } = row;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}
