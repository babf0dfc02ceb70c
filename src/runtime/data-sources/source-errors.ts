/**
 * Which failures of a user's database are the connection's (unreachable, refused, login failed,
 * database missing, connection lost): those become a DataSourceError (502) naming the connection.
 * Everything else (a statement the database refused) stays as the database said it, for the caller
 * to word. The platform's own outage errors (DependencyUnavailableError) are never made from
 * these: a user's database being down is not the platform being down.
 */
import { DataSourceError } from '../../errors.js';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT',
]);

/** SQLSTATE classes of connection exceptions, invalid authorisation, invalid catalog, operator intervention */
const SQLSTATE_CLASSES = ['08', '28', '3D', '57P'];

export function isConnectionFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && NETWORK.has(code)) return true;
  if (code && /^[0-9A-Z]{5}$/.test(code)) return SQLSTATE_CLASSES.some((c) => code.startsWith(c));
  const message = typeof e?.message === 'string' ? e.message : '';
  return /timeout expired|Connection terminated|connect(ion)? timeout|server does not support SSL/i.test(
    message,
  );
}

/** `err` as a DataSourceError when it is the connection's failure; else `err` itself */
export function asSourceError(err: unknown, name: string): unknown {
  if (!isConnectionFailure(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DataSourceError(`database connection '${name}' failed: ${message}`);
}
