/**
 * What the API lists from the `executions` read model, newest first, scoped to the owner unless
 * admin, with what the code returned or printed decoded from its stored form (lossless-text).
 */
import type pg from 'pg';
import { decodedRunText } from './execution-view.js';

export interface ExecutionFilter {
  readonly userId?: string;
  readonly functionName?: string;
  readonly status?: string;
  readonly chatId?: string;
  readonly triggerType?: string;
  readonly skip: number;
  readonly limit: number;
}

export class ExecutionQueries {
  constructor(private readonly pool: pg.Pool) {}

  async list(f: ExecutionFilter): Promise<Record<string, unknown>[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.userId !== undefined) add('user_id = ?', f.userId);
    if (f.functionName !== undefined) {
      // `ns/name` or the bare name (reference: function_name is the bare name)
      const [ns, name] = f.functionName.includes('/')
        ? f.functionName.split('/', 2)
        : [undefined, f.functionName];
      if (ns !== undefined) add('function_namespace = ?', ns);
      add('function_name = ?', name);
    }
    if (f.status !== undefined) add('status = ?', f.status);
    if (f.chatId !== undefined) add('chat_id = ?', f.chatId);
    if (f.triggerType !== undefined) add('trigger_type = ?', f.triggerType);
    params.push(f.limit, f.skip);
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT * FROM executions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      ...r,
      ...decodedRunText(r as unknown as Parameters<typeof decodedRunText>[0]),
    }));
  }

  /** Executions of everyone's RUNNING since before `cutoff`, by id (the admin's stuck-job flush). */
  async runningSince(cutoff: Date): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM executions WHERE status = 'RUNNING' AND started_at < $1 ORDER BY started_at, id`,
      [cutoff],
    );
    return rows.map((r) => r.id);
  }
}
