/**
 * The client's typed errors in our hierarchy (src/errors.ts). The original error is kept as `cause`.
 *
 * - WrongExpectedVersion on append -> ConcurrencyError(stream, expected we sent, actual the server saw)
 * - StreamDeleted on append -> ConcurrencyError(stream, 'exists', 'no_stream') when we asked for
 *   'exists' (the server says "deleted" for 'exists' on a soft-deleted stream, which for the port
 *   simply does not exist); otherwise StreamDeletedError (a tombstoned stream stays dead)
 * - StreamNotFound / StreamDeleted on read -> the read is empty (see `isMissingStream`)
 * - unavailable, deadline exceeded, timeout, not leader, server-side cancel, failed discovery,
 *   refused/reset sockets -> DependencyUnavailableError('event store') (HTTP 503 with Retry-After)
 * - anything else is a bug or a misconfiguration and is passed on unchanged.
 */
import { ErrorType, isCommandError } from '@eventstore/db-client';
import { ConcurrencyError, DependencyUnavailableError, StreamDeletedError } from '../../errors.js';
import type { ExpectedRevision } from '../event-store.js';
import { formatActual, formatExpected } from './expected-revision.js';

const UNAVAILABLE: ReadonlySet<ErrorType> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
  ErrorType.CANCELLED,
]);

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);

export function clientErrorType(err: unknown): ErrorType | undefined {
  return err instanceof Error && isCommandError(err) ? err.type : undefined;
}

/** StreamNotFound or StreamDeleted: the stream has no readable events, so reads return []. */
export function isMissingStream(err: unknown): boolean {
  const type = clientErrorType(err);
  return type === ErrorType.STREAM_NOT_FOUND || type === ErrorType.STREAM_DELETED;
}

export function isUnavailable(err: unknown): boolean {
  const type = clientErrorType(err);
  if (type !== undefined) return UNAVAILABLE.has(type);
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    err.message.startsWith('Failed to discover after')
  );
}

/** Errors any operation can meet. */
export function mapCommonError(err: unknown): unknown {
  return isUnavailable(err) ? new DependencyUnavailableError('event store', err) : err;
}

export function mapAppendError(err: unknown, stream: string, expected: ExpectedRevision): unknown {
  if (err instanceof Error && isCommandError(err)) {
    if (err.type === ErrorType.WRONG_EXPECTED_VERSION) {
      const actual = formatActual(err.actualVersion);
      return withCause(new ConcurrencyError(stream, formatExpected(expected), actual), err);
    }
    if (err.type === ErrorType.STREAM_DELETED) return deletedOnAppend(err, stream, expected);
  }
  return mapCommonError(err);
}

/** For subscriptions, which have no expected revision. */
export function mapSubscriptionError(err: unknown, stream?: string): unknown {
  if (stream !== undefined && clientErrorType(err) === ErrorType.STREAM_DELETED) {
    return withCause(new StreamDeletedError(stream), err);
  }
  return mapCommonError(err);
}

function deletedOnAppend(err: Error, stream: string, expected: ExpectedRevision): Error {
  const mapped =
    expected === 'exists'
      ? new ConcurrencyError(stream, formatExpected(expected), 'no_stream')
      : new StreamDeletedError(stream);
  return withCause(mapped, err);
}

function withCause<E extends Error>(mapped: E, cause: unknown): E {
  mapped.cause = cause;
  return mapped;
}
