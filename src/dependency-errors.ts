/**
 * The one place that tells a dependency outage from a bug: a raw `pg`/socket error (refused or reset
 * connection, the server shutting down or restarting, a lost connection, a pool timeout) becomes a
 * DependencyUnavailableError naming the dependency; anything else is left alone.
 */
import { DependencyUnavailableError } from './errors.js';

/** socket-level failures: nothing reachable at the address, or the connection cut */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** SQLSTATEs of a server going away: admin/crash shutdown, cannot connect now, connection exceptions */
const SQLSTATE = /^(57P01|57P02|57P03|08...)$/;

const MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /client has encountered a connection error/i,
  /client was closed and is not queryable/i,
  /cannot use a pool after calling end/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/** Whether `err` (or its cause, or an AggregateError's parts) is a lost or refused connection. */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  if (err instanceof DependencyUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
  if (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isConnectionError(x, depth + 1))) return true;
  return isConnectionError(e.cause, depth + 1);
}

/**
 * Whether a failed query surely never reached the server: the connection could not be made
 * (refused, no such host, the server not accepting connections now, no pooled client in time).
 * Anything else may have been executed with its answer lost.
 */
export function neverSent(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND' || e?.code === '57P03') return true;
  return typeof e?.message === 'string' && /timeout exceeded when trying to connect/i.test(e.message);
}

/**
 * `err` as a DependencyUnavailableError when it is an outage: itself when it already is one, else
 * a new one naming `dependency` with `err` as its cause; undefined when it is not an outage.
 */
export function asDependencyUnavailable(
  err: unknown,
  dependency: DependencyUnavailableError['dependency'] = 'database',
): DependencyUnavailableError | undefined {
  if (err instanceof DependencyUnavailableError) return err;
  return isConnectionError(err) ? new DependencyUnavailableError(dependency, err) : undefined;
}
