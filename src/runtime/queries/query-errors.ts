/**
 * What a saved query's failure means, in the platform's error codes (mapped to HTTP only in
 * src/http/problem.ts): the server's statement timeout (SQLSTATE 57014) a TimedOutError (504);
 * a write refused by a read-only transaction (25006: a read query that writes, or any write on a
 * `read_only` connection) an IllegalStateError (409) saying so; the connection itself failing a
 * DataSourceError (502, made by the data source); any other error the database raised a
 * QueryFailedError (502) with its message. The platform's own errors pass as they are; anything
 * else is a bug and stays one.
 */
import { IllegalStateError, QueryFailedError, SinasError, TimedOutError } from '../../errors.js';

interface Named {
  readonly namespace: string;
  readonly name: string;
  readonly spec: { readonly timeout_ms: number; readonly operation: string };
}

/** A database error: pg's DatabaseError carries the SQLSTATE in `code` and a `severity`. */
const sqlStateOf = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; severity?: unknown } | null;
  return typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && e.severity !== undefined
    ? e.code
    : undefined;
};

export function queryFailure(err: unknown, q: Named): unknown {
  if (err instanceof SinasError) return err;
  const ref = `${q.namespace}/${q.name}`;
  const message = err instanceof Error ? err.message : String(err);
  const state = sqlStateOf(err);
  if (state === '57014')
    return new TimedOutError(
      `query '${ref}' timed out after ${q.spec.timeout_ms} ms (its timeout_ms)`,
      'timeout_ms',
    );
  if (state === '25006')
    return new IllegalStateError(
      q.spec.operation === 'read'
        ? `query '${ref}' is a read query: it runs read-only and may not write (${message})`
        : `query '${ref}' writes, but its database connection is read_only (${message})`,
      'operation',
    );
  if (state !== undefined || !(err instanceof Error))
    return new QueryFailedError(`Query execution failed: ${message}`);
  return err;
}
