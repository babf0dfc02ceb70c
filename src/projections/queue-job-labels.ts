/**
 * What the admin queue views say a job is about: a job carries only ids (an execution, a chat), so
 * the function or agent name and the trigger are read here from the executions and chats read
 * models, never from the job's payload.
 */
import type pg from 'pg';

export interface JobLabels {
  /** execution id → `namespace/name` of its function and how it was triggered */
  readonly executions: ReadonlyMap<string, { function: string; trigger_type: string | null }>;
  /** chat id → `namespace/name` of its agent */
  readonly chats: ReadonlyMap<string, string>;
}

export class QueueJobLabelQueries {
  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  async labels(executionIds: readonly string[], chatIds: readonly string[]): Promise<JobLabels> {
    const [executions, chats] = await Promise.all([
      executionIds.length === 0
        ? { rows: [] }
        : this.pool.query<{ id: string; fn: string; trigger_type: string | null }>(
            `SELECT id::text, function_namespace || '/' || function_name AS fn, trigger_type
               FROM executions WHERE id = ANY($1::uuid[])`,
            [executionIds.filter(isUuid)],
          ),
      chatIds.length === 0
        ? { rows: [] }
        : this.pool.query<{ id: string; agent: string }>(
            `SELECT id::text, agent_namespace || '/' || agent_name AS agent FROM chats WHERE id = ANY($1::uuid[])`,
            [chatIds.filter(isUuid)],
          ),
    ]);
    return {
      executions: new Map(
        executions.rows.map((r) => [r.id, { function: r.fn, trigger_type: r.trigger_type }]),
      ),
      chats: new Map(chats.rows.map((r) => [r.id, r.agent])),
    };
  }
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
