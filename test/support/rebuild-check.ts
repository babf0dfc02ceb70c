/** Every row of a projection's tables, to compare a live read model with its rebuild. */
import type pg from 'pg';

export async function snapshot(pool: pg.Pool, tables: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    const { rows } = await pool.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
    out[table] = rows.map((r) => r.row).sort();
  }
  return out;
}
