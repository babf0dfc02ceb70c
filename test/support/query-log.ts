/**
 * A pool that notes every statement its connections run (pool.query and checked-out clients alike),
 * so a test can show what an operation cost: `log.clear()`, do it, then `log.reading('es_events')`.
 */
import type pg from 'pg';
import { testPool } from './pg.js';

export interface LoggedQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

export class QueryLog {
  readonly queries: LoggedQuery[] = [];

  clear(): void {
    this.queries.length = 0;
  }

  /** the SELECTs that read `table` */
  reading(table: string): LoggedQuery[] {
    const from = new RegExp(`^\\s*SELECT\\b[\\s\\S]*\\bFROM\\s+${table}\\b`, 'i');
    return this.queries.filter((q) => from.test(q.text));
  }
}

export function loggedPool(connectionString: string, max: number): { pool: pg.Pool; log: QueryLog } {
  const pool = testPool(connectionString, max);
  const log = new QueryLog();
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const [first, second] = args;
      const text = typeof first === 'string' ? first : String((first as { text?: unknown })?.text ?? '');
      const values = Array.isArray(second) ? second : ((first as { values?: unknown[] })?.values ?? []);
      log.queries.push({ text, values });
      return query(...args);
    }) as typeof client.query;
  });
  return { pool, log };
}
