/**
 * Running a saved query (reference §5.4) for a user: the input checked against the query's
 * `input_schema` (when it has properties; no coercion), `user_id` and `user_email` added by the
 * server (over anything the input said), `:name` placeholders bound, and the statement run on the
 * query's database connection in one transaction, read-only for a read, with the query's
 * `timeout_ms` as the server's `statement_timeout`. Who may run it is the caller's business
 * (QueryAccess); what a failure means to a client is query-errors.ts'.
 */
import { performance } from 'node:perf_hooks';
import { NotFoundError, QueryFailedError, ValidationError } from '../../errors.js';
import { validate, type JSONSchema } from '../../commands/validation.js';
import type { DataSources } from '../data-sources/data-sources.js';
import { queryFailure } from './query-errors.js';
import { readRows, writeRows, type Row } from './query-rows.js';
import { bindSql, parameterValues, type BoundSql } from '../../commands/query/sql-binding.js';

export interface QuerySpec {
  readonly database_connection_id: string;
  readonly operation: 'read' | 'write';
  readonly sql: string;
  readonly input_schema?: JSONSchema;
  readonly timeout_ms: number;
  readonly max_rows: number;
}

export interface SavedQuery {
  readonly namespace: string;
  readonly name: string;
  readonly spec: QuerySpec;
}

/** Who runs it: their id and email are the `user_id` and `user_email` parameters. */
export interface QueryCaller {
  readonly userId: string;
  readonly email: string | null;
}

export interface QueryResult {
  readonly operation: 'read' | 'write';
  /** a read's rows, a write's RETURNING rows; null for a write without RETURNING */
  readonly rows: readonly Row[] | null;
  readonly rowCount: number | null;
  /** a write's affected rows; null for a read */
  readonly affectedRows: number | null;
  /** more rows than `max_rows` were there; `rows` holds the first `max_rows` */
  readonly truncated: boolean;
  readonly durationMs: number;
}

const BOUND_CACHE = 1000;

export class QueryExecutor {
  /** bound SQL by text: the same query binds once */
  private readonly bound = new Map<string, BoundSql>();

  constructor(private readonly sources: Pick<DataSources, 'byId'>) {}

  async execute(
    query: SavedQuery,
    input: Readonly<Record<string, unknown>>,
    caller: QueryCaller,
  ): Promise<QueryResult> {
    const spec = query.spec;
    const params = {
      ...checkedInput(spec.input_schema, input),
      user_id: caller.userId,
      user_email: caller.email,
    };
    const bound = this.bind(spec.sql);
    const source = await this.sources.byId(spec.database_connection_id).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
      throw new QueryFailedError(
        `Query execution failed: the database connection of query '${query.namespace}/${query.name}' no longer exists`,
      );
    });
    const statement = { text: bound.text, values: parameterValues(bound, params), maxRows: spec.max_rows };
    const started = performance.now();
    try {
      const r = await source.run({ readOnly: spec.operation === 'read', timeoutMs: spec.timeout_ms }, (c) =>
        spec.operation === 'read' ? readRows(c, statement) : writeRows(c, statement),
      );
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      if (spec.operation === 'read')
        return {
          operation: 'read',
          rows: r.rows,
          rowCount: r.rows.length,
          affectedRows: null,
          truncated: r.truncated,
          durationMs,
        };
      return r.returnsRows
        ? {
            operation: 'write',
            rows: r.rows,
            rowCount: r.rows.length,
            affectedRows: r.affected ?? r.rows.length,
            truncated: r.truncated,
            durationMs,
          }
        : {
            operation: 'write',
            rows: null,
            rowCount: null,
            affectedRows: r.affected ?? 0,
            truncated: false,
            durationMs,
          };
    } catch (err) {
      throw queryFailure(err, query);
    }
  }

  private bind(sql: string): BoundSql {
    let b = this.bound.get(sql);
    if (!b) {
      b = bindSql(sql);
      if (this.bound.size >= BOUND_CACHE) this.bound.clear();
      this.bound.set(sql, b);
    }
    return b;
  }
}

/** The input, checked against the schema when it declares properties (400 "Input validation error: …"). */
function checkedInput(
  schema: JSONSchema | undefined,
  input: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const value = structuredClone(input) as Record<string, unknown>;
  if (!schema || typeof schema.properties !== 'object' || schema.properties === null) return value;
  try {
    return validate<Record<string, unknown>>(schema, value);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const field = err.field ? `input.${err.field}` : 'input';
    throw new ValidationError(
      `Input validation error: ${err.message}`,
      field,
      err.errors.map((e) => ({ ...e, field: e.field ? `input.${e.field}` : 'input' })),
    );
  }
}
