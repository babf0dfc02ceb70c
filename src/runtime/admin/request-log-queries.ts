/**
 * Reading `request_logs` with the original's filters (user, time range, permission, a SQL LIKE
 * pattern on the path, status) and its statistics. Every filter is a bound parameter. No permission
 * is recorded per request here, so a `permission` filter matches nothing and `top_permissions` is
 * empty; the caller's email is read from the users read model, never stored.
 */
import type pg from 'pg';

export interface RequestLogFilter {
  readonly userId?: string;
  readonly start?: Date;
  readonly end?: Date;
  readonly permission?: string;
  readonly pathPattern?: string;
  readonly statusCode?: number;
}

function where(f: RequestLogFilter): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const conds: string[] = [];
  const add = (cond: (n: string) => string, v: unknown) => {
    values.push(v);
    conds.push(cond(`$${values.length}`));
  };
  if (f.userId !== undefined) add((n) => `r.user_id = ${n}`, f.userId);
  if (f.start) add((n) => `r.at >= ${n}`, f.start);
  if (f.end) add((n) => `r.at <= ${n}`, f.end);
  if (f.permission !== undefined) conds.push('false'); // not recorded: nothing was checked under it
  if (f.pathPattern !== undefined) add((n) => `r.path LIKE ${n}`, f.pathPattern);
  if (f.statusCode !== undefined) add((n) => `r.status_code = ${n}`, f.statusCode);
  return { sql: conds.length ? conds.join(' AND ') : 'true', values };
}

export class RequestLogQueries {
  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  async list(f: RequestLogFilter, limit: number, offset: number) {
    const { sql, values } = where(f);
    const { rows } = await this.pool.query<{
      request_id: string;
      at: Date;
      user_id: string | null;
      user_email: string | null;
      method: string;
      path: string;
      status_code: number;
      response_time_ms: number;
    }>(
      `SELECT r.request_id, r.at, r.user_id, (SELECT u.email FROM users u WHERE u.id = r.user_id) AS user_email,
              r.method, r.path, r.status_code, r.response_time_ms
         FROM request_logs r WHERE ${sql} ORDER BY r.at DESC, r.seq DESC
        LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, limit, offset],
    );
    return rows.map(({ at, ...r }) => ({
      ...r,
      timestamp: at.toISOString(),
      permission_used: null,
      has_permission: r.status_code !== 401 && r.status_code !== 403,
      query_params: null,
      request_body: null,
      user_agent: null,
      referer: null,
      ip_address: null,
      response_size_bytes: null,
      resource_type: null,
      resource_id: null,
      group_id: null,
      error_message: null,
      error_type: null,
      metadata: null,
    }));
  }

  async stats(f: RequestLogFilter) {
    const { sql, values } = where(f);
    const [totals, paths] = await Promise.all([
      this.pool.query<{ total: string; users: string; avg: number | null; errors: string }>(
        `SELECT count(*) AS total, count(DISTINCT r.user_id) AS users, avg(r.response_time_ms)::float8 AS avg,
                count(*) FILTER (WHERE r.status_code >= 400) AS errors
           FROM request_logs r WHERE ${sql}`,
        values,
      ),
      this.pool.query<{ path: string; count: string }>(
        `SELECT r.path, count(*) AS count FROM request_logs r WHERE ${sql}
          GROUP BY r.path ORDER BY count(*) DESC, r.path LIMIT 10`,
        values,
      ),
    ]);
    const t = totals.rows[0]!;
    const total = Number(t.total);
    return {
      total_requests: total,
      unique_users: Number(t.users),
      avg_response_time_ms: t.avg ?? 0,
      error_rate: total ? Number(t.errors) / total : 0,
      top_paths: paths.rows.map((r) => ({ path: r.path, count: Number(r.count) })),
      top_permissions: [] as { permission: string; count: number }[],
    };
  }
}
