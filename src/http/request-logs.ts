/**
 * `GET /api/v1/request-logs` and `/request-logs/stats` in the original's shapes and filters. As the
 * original: whoever may read logs sees their own requests (`sinas.logs.read:own`, the Users role),
 * an administrator (`:all`) everyone's; asking for another user's without `:all` is a 403.
 */
import type { Request } from 'express';
import { ForbiddenError, ValidationError } from '../errors.js';
import type { RequestLogFilter, RequestLogQueries } from '../runtime/admin/request-log-queries.js';
import { addJsonGet, objectOf } from './admin-route.js';
import { holds, principalOf } from './auth.js';
import { queryOf, type RouteRegistry } from './routes.js';

const tags = ['Request logs'];
const READING = { permission: () => 'sinas.logs.read:own' } as const;

const TIME = { type: 'string', maxLength: 64, description: 'a date and time (ISO 8601)' };
const RANGE = {
  user_id: { type: 'string', maxLength: 200 },
  start_time: TIME,
  end_time: TIME,
};

function time(v: unknown, field: string): Date | undefined {
  if (v === undefined || v === '') return undefined;
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) throw new ValidationError(`${field} must be a date and time`, field);
  return d;
}

/** The filter, narrowed to the caller's own requests unless they may read everyone's. */
function filterOf(req: Request): RequestLogFilter {
  const q = queryOf(req) as Record<string, string | number | undefined>;
  const own = principalOf(req).userId;
  const all = holds(req, 'sinas.logs.read:all');
  const asked = q.user_id === '' ? undefined : (q.user_id as string | undefined);
  if (!all && asked !== undefined && asked !== own)
    throw new ForbiddenError('you can only view your own request logs');
  return {
    userId: all ? asked : own,
    start: time(q.start_time, 'start_time'),
    end: time(q.end_time, 'end_time'),
    ...(q.permission ? { permission: String(q.permission) } : {}),
    ...(q.path_pattern ? { pathPattern: String(q.path_pattern) } : {}),
    ...(q.status_code !== undefined ? { statusCode: Number(q.status_code) } : {}),
  };
}

const logSchema = objectOf({
  request_id: { type: 'string' },
  timestamp: { type: 'string', format: 'date-time' },
  user_id: { type: ['string', 'null'] },
  user_email: { type: ['string', 'null'] },
  permission_used: { type: 'null', description: 'not recorded here' },
  has_permission: { type: 'boolean' },
  method: { type: 'string' },
  path: { type: 'string', description: 'without its query string' },
  status_code: { type: 'integer' },
  response_time_ms: { type: 'integer' },
});

export function registerRequestLogRoutes(registry: RouteRegistry, queries: RequestLogQueries): void {
  addJsonGet(registry, {
    path: '/api/v1/request-logs',
    access: READING,
    summary: 'API requests, newest first: yours, or everyone\u2019s to an administrator',
    tags,
    query: {
      ...RANGE,
      permission: { type: 'string', maxLength: 200 },
      path_pattern: { type: 'string', maxLength: 500, description: 'a SQL LIKE pattern on the path' },
      status_code: { type: 'integer', minimum: 100, maximum: 599 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
    },
    answers: { type: 'array', items: logSchema },
    read: (req) => {
      const { limit, offset } = queryOf(req) as { limit: number; offset: number };
      return queries.list(filterOf(req), limit, offset);
    },
  });
  addJsonGet(registry, {
    path: '/api/v1/request-logs/stats',
    access: READING,
    summary: 'Request counts, users, mean duration, error rate and top paths: yours, or everyone\u2019s',
    tags,
    query: RANGE,
    answers: objectOf({
      total_requests: { type: 'integer' },
      unique_users: { type: 'integer' },
      avg_response_time_ms: { type: 'number' },
      error_rate: { type: 'number' },
      top_paths: { type: 'array', items: { type: 'object' } },
      top_permissions: { type: 'array', items: { type: 'object' } },
    }),
    read: (req) => queries.stats(filterOf(req)),
  });
}
