/**
 * The one closed error hierarchy. Each error has a stable `code`; only src/http maps
 * codes to HTTP statuses (problem+json). `field` names the offending input when known.
 */
export abstract class SinasError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends SinasError {
  readonly code = 'validation_failed';
  constructor(
    message: string,
    field?: string,
    readonly errors: readonly { field: string; message: string }[] = field ? [{ field, message }] : [],
  ) {
    super(message, field);
  }
}

export class NotFoundError extends SinasError {
  readonly code = 'not_found';
}

export class AlreadyExistsError extends SinasError {
  readonly code = 'already_exists';
}

/** An append's expected revision did not match the stream's actual revision. */
export class ConcurrencyError extends SinasError {
  readonly code = 'concurrency_conflict';
  constructor(
    readonly stream: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`stream ${stream}: expected revision ${expected}, actual ${actual}`);
  }
}

/** A client-supplied precondition (If-Match) failed. */
export class PreconditionFailedError extends SinasError {
  readonly code = 'precondition_failed';
}

export class UnauthorizedError extends SinasError {
  readonly code = 'unauthorized';
}

export class ForbiddenError extends SinasError {
  readonly code = 'forbidden';
}

export class IllegalStateError extends SinasError {
  readonly code = 'illegal_state';
}

/** it existed and is used up for good: a share link expired or at its maximum views (HTTP 410) */
export class GoneError extends SinasError {
  readonly code = 'gone';
}

/** what the request needs is not ready yet: a component that has not compiled (HTTP 422) */
export class NotReadyError extends SinasError {
  readonly code = 'not_ready';
}

/** a body or file over a size limit or quota (HTTP 413) */
export class PayloadTooLargeError extends SinasError {
  readonly code = 'payload_too_large';
}

export class StreamDeletedError extends SinasError {
  readonly code = 'stream_deleted';
  constructor(readonly stream: string) {
    super(`stream ${stream} is deleted`);
  }
}

/** Too many attempts in a window (login rate limits); `retryAfterS` says when trying again can work. */
export class RateLimitedError extends SinasError {
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterS: number,
    field?: string,
  ) {
    super(message, field);
  }
}

/** A system the caller pointed the platform at (a connector's API) gave no usable answer: HTTP 502. */
export class UpstreamError extends SinasError {
  readonly code = 'upstream_failed';
}

/** Work on someone else's system ran past its own time limit (a saved query's `timeout_ms`). */
export class TimedOutError extends SinasError {
  readonly code = 'timed_out';
}

/** A statement a user's database refused or failed (a saved query's SQL error): its message, never a 500. */
export class QueryFailedError extends SinasError {
  readonly code = 'query_failed';
}

/** A dependency (database, event store, queue) is unavailable or timed out. */
export class UnavailableError extends SinasError {
  readonly code = 'unavailable';
}

/**
 * A user's database connection could not be reached or refused the login (HTTP 502): the
 * connection's fault, not the platform's, so never a 500 nor the platform's own 503.
 */
export class DataSourceError extends SinasError {
  readonly code = 'data_source_unavailable';
}

/**
 * A dependency is unreachable (an outage, not a bug): HTTP 503 with Retry-After, naming it. Made
 * from a raw connection error by src/dependency-errors.ts, the one place that recognises them.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: 'database' | 'event store' | 'redis',
    cause?: unknown,
  ) {
    super(`the ${dependency} is unavailable`, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }
}

/**
 * The connection died after a write was sent: it may or may not have been stored. The client
 * retries with the same Idempotency-Key (or command id) to learn which, never blindly.
 */
export class OutcomeUnknownError extends DependencyUnavailableError {}

/**
 * The dependency was found down by a check made before the command wrote anything (the job queue
 * refusing a turn while Redis is away): the request surely did not happen, so it is a plain 503,
 * never "outcome unknown", even on a request that carries a command id.
 */
export class RefusedBeforeWriteError extends DependencyUnavailableError {}
