/**
 * Messages across chats, for the console's message search and dashboard (reference §5.13): read
 * from the chat read models, either everyone's or one user's (`userId`), never filtered further by
 * chat privacy here: who may see everyone's is the route's decision.
 */
import type pg from 'pg';

export interface MessageSearch {
  /** only this user's chats (undefined: everyone's) */
  readonly userId?: string;
  /** `namespace/name`, or a bare agent name in any namespace */
  readonly agent?: string;
  readonly role?: string;
  /** a substring of the content, case-insensitive, taken literally */
  readonly search?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface FoundMessage {
  id: string;
  chat_id: string;
  role: string;
  content: string | null;
  tool_calls: unknown;
  tool_call_id: string | null;
  created_at: Date;
  agent_namespace: string;
  agent_name: string;
  user_email: string | null;
}

export interface MessageStats {
  total_messages: number;
  tool_calls: number;
  activity_by_day: Record<string, number>;
  agent_usage: { agent: string; count: number }[];
  role_distribution: Record<string, number>;
}

/** a message that asked for tools (an empty list is none) */
const HAS_TOOL_CALLS = `(m.tool_calls IS NOT NULL AND jsonb_typeof(m.tool_calls) = 'array' AND jsonb_array_length(m.tool_calls) > 0)`;

export class MessageQueries {
  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  async search(s: MessageSearch): Promise<{ messages: FoundMessage[]; total: number }> {
    const { where, values } = searchFilter(s);
    const from = `FROM chat_messages m JOIN chats c ON c.id = m.chat_id WHERE ${where}`;
    const [page, count] = await Promise.all([
      this.pool.query<FoundMessage>(
        `SELECT m.id, m.chat_id, m.role, m.content, m.tool_calls, m.tool_call_id, m.created_at,
                c.agent_namespace, c.agent_name,
                (SELECT u.email FROM users u WHERE u.id = c.user_id) AS user_email
           ${from} ORDER BY m.created_at DESC, m.revision DESC, m.idx DESC
           LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
        [...values, s.limit, s.offset],
      ),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n ${from}`, values),
    ]);
    return { messages: page.rows, total: Number(count.rows[0]!.n) };
  }

  /**
   * the last `days` days (UTC days), everyone's or `userId`'s. Counts what was said: a fork's copy of
   * its original's history (listed and found by search as the fork's) is counted once, in the original.
   */
  async stats(o: { userId?: string; days: number; now: Date }): Promise<MessageStats> {
    const since = new Date(o.now.getTime() - o.days * 86_400_000);
    const values: unknown[] = [since];
    let where = 'm.created_at >= $1 AND NOT m.copied';
    if (o.userId !== undefined) where += ` AND c.user_id = $${values.push(o.userId)}`;
    const from = `FROM chat_messages m JOIN chats c ON c.id = m.chat_id WHERE ${where}`;
    const [totals, days, agents, roles] = await Promise.all([
      this.pool.query<{ n: string; tools: string }>(
        `SELECT count(*) AS n, count(*) FILTER (WHERE ${HAS_TOOL_CALLS}) AS tools ${from}`,
        values,
      ),
      this.pool.query<{ day: string; n: string }>(
        `SELECT to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n ${from}
          GROUP BY 1 ORDER BY 1`,
        values,
      ),
      this.pool.query<{ agent: string; n: string }>(
        `SELECT c.agent_namespace || '/' || c.agent_name AS agent, count(*) AS n ${from}
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
        values,
      ),
      this.pool.query<{ role: string; n: string }>(`SELECT m.role, count(*) AS n ${from} GROUP BY 1`, values),
    ]);
    return {
      total_messages: Number(totals.rows[0]!.n),
      tool_calls: Number(totals.rows[0]!.tools),
      activity_by_day: Object.fromEntries(days.rows.map((r) => [r.day, Number(r.n)])),
      agent_usage: agents.rows.map((r) => ({ agent: r.agent, count: Number(r.n) })),
      role_distribution: Object.fromEntries(roles.rows.map((r) => [r.role, Number(r.n)])),
    };
  }
}

function searchFilter(s: MessageSearch): { where: string; values: unknown[] } {
  const values: unknown[] = [];
  const clauses: string[] = ['true'];
  const p = (v: unknown) => `$${values.push(v)}`;
  if (s.userId !== undefined) clauses.push(`c.user_id = ${p(s.userId)}`);
  if (s.agent !== undefined) {
    const slash = s.agent.indexOf('/');
    if (slash >= 0)
      clauses.push(
        `c.agent_namespace = ${p(s.agent.slice(0, slash))} AND c.agent_name = ${p(s.agent.slice(slash + 1))}`,
      );
    else clauses.push(`c.agent_name = ${p(s.agent)}`);
  }
  if (s.role !== undefined) clauses.push(`m.role = ${p(s.role)}`);
  if (s.search !== undefined) clauses.push(`strpos(lower(m.content), lower(${p(s.search)})) > 0`);
  return { where: clauses.join(' AND '), values };
}
