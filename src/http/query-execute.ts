/**
 * Running a saved query over HTTP (reference §5.4): `POST /api/v1/queries/{ns}/{name}/execute` and
 * the runtime's `POST /queries/{ns}/{name}/execute`, one handler, body `{input}`. The answer is the
 * original's shape plus `truncated` (the result was cut at `max_rows`). A bad input is a 400
 * naming the field; a failing statement or database a 502, a timed-out one a 504 (problem.ts).
 */
import type { Request } from 'express';
import { itemPermission } from '../commands/identity/permissions.js';
import type { QueryResult } from '../runtime/queries/query-executor.js';
import type { QueryRuns } from '../runtime/queries/query-runs.js';
import { principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import type { RouteRegistry } from './routes.js';

export interface QueryExecuteDeps {
  readonly runs: QueryRuns;
}

const EVERYTHING = Object.freeze({ 'sinas.*:all': true });
const NAME = { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$', maxLength: 255 };
const body = {
  type: 'object',
  additionalProperties: false,
  properties: { input: { type: 'object', default: {} } },
};
const result = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    operation: { type: 'string', enum: ['read', 'write'] },
    data: { type: ['array', 'null'], items: { type: 'object' } },
    row_count: { type: ['integer', 'null'] },
    affected_rows: { type: ['integer', 'null'] },
    truncated: { type: 'boolean' },
    duration_ms: { type: 'number' },
  },
};

export function registerQueryExecuteRoutes(registry: RouteRegistry, d: QueryExecuteDeps): void {
  for (const path of ['/api/v1/queries/:namespace/:name/execute', '/queries/:namespace/:name/execute'])
    registry.add({
      method: 'post',
      path,
      access: {
        permission: (req) =>
          itemPermission('queries', { namespaced: true, ...nsName(req) }, 'execute', 'own'),
      },
      summary:
        "Run a saved query with `input` (its `:name` parameters; `user_id` and `user_email` are the caller's). Needs `execute:all` on it, or `execute:own` and owning it",
      tags: ['Queries'],
      params: { namespace: NAME, name: NAME },
      body,
      responses: { 200: result },
      handler: async (req, res) => {
        const { namespace, name } = nsName(req);
        const p = principalOf(req);
        const who = { userId: p.userId, permissions: p.isAdmin ? EVERYTHING : p.permissions };
        const input = (req.body as { input: Record<string, unknown> }).input;
        res.json(answer(await d.runs.execute(namespace, name, input, who, commandIdOf(req))));
      },
    });
}

const nsName = (req: Request) => req.params as { namespace: string; name: string };

/** The reference's response: rows in `data`; a write without RETURNING has no data and no row count. */
export function answer(r: QueryResult) {
  return {
    success: true,
    operation: r.operation,
    data: r.rows,
    row_count: r.rowCount,
    affected_rows: r.affectedRows,
    truncated: r.truncated,
    duration_ms: r.durationMs,
  };
}
