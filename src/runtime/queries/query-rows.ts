/**
 * How a saved query's statement runs on a client inside its transaction, and how many rows come
 * back. A read fetches at most `max_rows + 1` rows through a cursor (`DECLARE … CURSOR FOR <sql>`,
 * then one `FETCH`), so the database never produces more than that, the SQL text is not changed
 * (the original appended ` LIMIT n` unless the text said LIMIT anywhere, which a column named
 * `limit_at` defeated), and a cut result says so (`truncated`). A read that cannot be a cursor
 * (`SHOW`, `EXPLAIN`) runs as it is and is cut after. A write runs as it is; the rows it returns
 * (RETURNING) are cut the same way, its affected count is the database's. Always the extended
 * protocol, so a statement is one statement even without parameters.
 */
import type pg from 'pg';
import { RESULT_TYPES } from './result-types.js';

export type Row = Record<string, unknown>;

export interface Rows {
  readonly rows: readonly Row[];
  /** the statement produced rows (a read, or a write with RETURNING) */
  readonly returnsRows: boolean;
  /** the database's count of rows the statement affected (a write) */
  readonly affected: number | null;
  /** more rows than `max_rows` were there */
  readonly truncated: boolean;
}

export interface Statement {
  readonly text: string;
  readonly values: readonly unknown[];
  readonly maxRows: number;
}

const CURSOR = 'sinas_saved_query';
/** the statements a cursor can be declared for */
const CURSOR_ABLE = /^(select|with|values|table|\()/i;

export async function readRows(client: pg.PoolClient, s: Statement): Promise<Rows> {
  if (!CURSOR_ABLE.test(leadingKeyword(s.text))) return plain(client, s);
  await run(client, `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${s.text}`, s.values);
  const r = await run(client, `FETCH FORWARD ${s.maxRows + 1} FROM ${CURSOR}`, []);
  return cut(r.rows, s.maxRows, true, null);
}

export async function writeRows(client: pg.PoolClient, s: Statement): Promise<Rows> {
  return plain(client, s);
}

async function plain(client: pg.PoolClient, s: Statement): Promise<Rows> {
  const r = await run(client, s.text, s.values);
  return cut(r.rows ?? [], s.maxRows, r.fields.length > 0, r.rowCount);
}

function cut(rows: Row[], maxRows: number, returnsRows: boolean, affected: number | null): Rows {
  const truncated = rows.length > maxRows;
  return { rows: truncated ? rows.slice(0, maxRows) : rows, returnsRows, affected, truncated };
}

function run(client: pg.PoolClient, text: string, values: readonly unknown[]): Promise<pg.QueryResult<Row>> {
  // `queryMode` (pg ≥ 8.11) is missing from @types/pg's QueryConfig
  const config: pg.QueryConfig & { queryMode: 'extended' } = {
    text,
    values: [...values],
    types: RESULT_TYPES,
    queryMode: 'extended',
  };
  return client.query<Row>(config);
}

/** The SQL's first word, after whitespace and comments. */
export function leadingKeyword(sql: string): string {
  let s = sql;
  for (;;) {
    const trimmed = s.replace(/^\s+/, '');
    if (trimmed.startsWith('--')) {
      const nl = trimmed.indexOf('\n');
      s = nl < 0 ? '' : trimmed.slice(nl + 1);
    } else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      s = end < 0 ? '' : trimmed.slice(end + 2);
    } else return trimmed.slice(0, 8);
  }
}
