/**
 * Which recorded chats a what-if run replays: named ones, each readable by the caller (their own,
 * or any for an auditor; else a 404 as a read gets), or the agent's chats the caller may read,
 * oldest first, within a time range and up to a count.
 */
import type pg from 'pg';
import { NotFoundError, ValidationError } from '../../errors.js';

export interface ChatFilter {
  readonly since?: string;
  readonly until?: string;
  readonly count?: number;
}

export interface Reader {
  readonly userId: string;
  /** may read every user's chats (`sinas.audit.read:all`) */
  readonly readsAll: boolean;
}

export const DEFAULT_COUNT = 100;

export async function selectChats(
  pool: Pick<pg.Pool, 'query'>,
  agent: { readonly namespace: string; readonly name: string },
  selection: { readonly chats?: readonly string[]; readonly filter?: ChatFilter },
  reader: Reader,
): Promise<string[]> {
  if (selection.chats) return named(pool, selection.chats, reader);
  const f = selection.filter ?? {};
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM chats
      WHERE agent_namespace = $1 AND agent_name = $2 AND ($3 OR user_id = $4)
        AND ($5::timestamptz IS NULL OR created_at >= $5) AND ($6::timestamptz IS NULL OR created_at < $6)
      ORDER BY created_at, id LIMIT $7`,
    [
      agent.namespace,
      agent.name,
      reader.readsAll,
      reader.userId,
      f.since ?? null,
      f.until ?? null,
      f.count ?? DEFAULT_COUNT,
    ],
  );
  if (rows.length === 0)
    throw new ValidationError('no recorded chat of this agent matches the filter', 'filter');
  return rows.map((r) => r.id);
}

async function named(
  pool: Pick<pg.Pool, 'query'>,
  ids: readonly string[],
  reader: Reader,
): Promise<string[]> {
  const unique = [...new Set(ids)];
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM chats WHERE id = ANY($1::uuid[]) AND ($2 OR user_id = $3)',
    [unique, reader.readsAll, reader.userId],
  );
  const found = new Set(rows.map((r) => r.id));
  const missing = unique.find((id) => !found.has(id));
  if (missing !== undefined) throw new NotFoundError(`chat ${missing} not found`, 'chats');
  return unique;
}
