/**
 * What the browser answers when the user's database refuses a statement: a read-only transaction
 * (a `read_only` connection) is a 403 saying so, a statement timeout and anything the request got
 * wrong (a missing table, a bad type, a broken constraint) a 400 with the database's message.
 * Connection failures were already made DataSourceErrors (502) by the data source.
 */
import {
  AlreadyExistsError,
  ForbiddenError,
  NotFoundError,
  SinasError,
  ValidationError,
} from '../../../errors.js';

export function browserError(err: unknown, connection: string): unknown {
  if (err instanceof SinasError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code === '25006')
    return new ForbiddenError(`database connection '${connection}' is read-only: ${message}`, 'read_only');
  if (code === '42P01' || code === '3F000') return new NotFoundError(message);
  if (code === '42P07' || code === '23505') return new AlreadyExistsError(message);
  if (code === '57014') return new ValidationError(`the statement timed out: ${message}`, 'timeout');
  if (/^(22|23|42|2B|0A|44)/.test(code)) return new ValidationError(message);
  return err;
}
