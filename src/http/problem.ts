/** Maps errors to RFC 9457 problem+json responses. The only place that knows HTTP status codes. */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { asDependencyUnavailable } from '../dependency-errors.js';
import {
  AlreadyExistsError,
  ConcurrencyError,
  DataSourceError,
  DependencyUnavailableError,
  ForbiddenError,
  GoneError,
  IllegalStateError,
  NotFoundError,
  NotReadyError,
  PreconditionFailedError,
  QueryFailedError,
  RateLimitedError,
  RefusedBeforeWriteError,
  SinasError,
  PayloadTooLargeError,
  StreamDeletedError,
  TimedOutError,
  UnauthorizedError,
  UnavailableError,
  UpstreamError,
  ValidationError,
} from '../errors.js';

export interface Problem {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly field?: string;
  readonly errors?: readonly { field: string; message: string }[];
  readonly code?: string;
  /** a 503's unreachable dependency: 'database', 'event store', 'redis' */
  readonly dependency?: string;
  /** a mutating request answered 503: its command id, and the key a retry sends to learn its outcome */
  readonly command_id?: string;
  readonly idempotency_key?: string;
}

/** Seconds a client waits before retrying during an outage (the platform is back within about one). */
const OUTAGE_RETRY_AFTER_S = 1;

/**
 * What a mutating request that reached its command knows about it (set by src/http/idempotency.ts
 * in `res.locals`): the command id, and the Idempotency-Key that repeats it (the client's, or one
 * made for it).
 */
export interface CommandAttempt {
  readonly commandId: string;
  readonly idempotencyKey: string;
}

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

export function sendProblem(res: Response, p: Problem): void {
  const requestId = res.getHeader('x-request-id');
  res
    .status(p.status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', ...p, ...(requestId ? { request_id: requestId } : {}) }));
}

const STATUS: ReadonlyArray<[new (...a: never[]) => SinasError, number, string]> = [
  [ValidationError, 400, 'Invalid request'],
  [UnauthorizedError, 401, 'Unauthorized'],
  [ForbiddenError, 403, 'Forbidden'],
  [NotFoundError, 404, 'Not found'],
  [AlreadyExistsError, 409, 'Already exists'],
  [ConcurrencyError, 409, 'Conflict'],
  [IllegalStateError, 409, 'Conflict'],
  [StreamDeletedError, 410, 'Gone'],
  [GoneError, 410, 'Gone'],
  [NotReadyError, 422, 'Unprocessable content'],
  [PayloadTooLargeError, 413, 'Payload too large'],
  [QueryFailedError, 502, 'Bad gateway'],
  [TimedOutError, 504, 'Gateway timeout'],
  [PreconditionFailedError, 412, 'Precondition failed'],
  [RateLimitedError, 429, 'Too many requests'],
  [UpstreamError, 502, 'Bad gateway'],
  [DataSourceError, 502, 'Bad gateway'],
  [UnavailableError, 503, 'Service unavailable'],
];

export function toProblem(err: unknown): Problem {
  if (err instanceof HttpProblem) return err.problem;
  if (err instanceof DependencyUnavailableError) return unavailable(err);
  if (err instanceof SinasError) {
    const [, status, title] = STATUS.find(([cls]) => err instanceof cls) ?? [SinasError, 500, 'Error'];
    return {
      title,
      status,
      detail: err.message,
      code: err.code,
      ...(err.field ? { field: err.field } : {}),
      ...(errorsOf(err).length > 0 ? { errors: errorsOf(err) } : {}),
    };
  }
  const outage = asDependencyUnavailable(err);
  if (outage) return unavailable(outage);
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed')
    return { title: 'Malformed JSON', status: 400, detail: parseFailure(e.message), field: 'body' };
  if (e?.type === 'entity.too.large')
    return { title: 'Body too large', status: 413, detail: e.message, field: 'body' };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { title: 'Bad request', status: e.status, detail: e.message ?? 'bad request' };
  }
  return { title: 'Internal server error', status: 500, detail: 'an unexpected error occurred' };
}

function unavailable(err: DependencyUnavailableError): Problem {
  return {
    title: 'Service unavailable',
    status: 503,
    detail: `the ${err.dependency} is unavailable: retry shortly`,
    code: 'dependency_unavailable',
    dependency: err.dependency,
  };
}

/**
 * A 503 to a request whose command may have run: whether it took effect is unknown, so it says so
 * and names the key whose retry returns the first outcome (never a second write).
 */
function outcomeUnknown(p: Problem, attempt: CommandAttempt): Problem {
  return {
    ...p,
    title: 'Outcome unknown',
    code: 'outcome_unknown',
    detail: `the ${p.dependency ?? 'service'} became unavailable while this request ran, so it may or may not have taken effect: retry it with the header Idempotency-Key: ${attempt.idempotencyKey} to get its outcome`,
    command_id: attempt.commandId,
    idempotency_key: attempt.idempotencyKey,
  };
}

/** The per-field errors an error lists (a ValidationError, or a refused config apply). */
function errorsOf(err: SinasError): readonly { field: string; message: string }[] {
  const errors = (err as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as { field: string; message: string }[]) : [];
}

/** The parser's message quotes the body around the fault, which may be a secret: keep the position only. */
function parseFailure(message: string | undefined): string {
  const at = message?.match(/at position (\d+)/)?.[1];
  return `the body is not valid JSON${at ? ` (at position ${at})` : ''}`;
}

export function errorHandler(log: (err: unknown, status: number) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let p = toProblem(err);
    log(err, p.status);
    if (res.headersSent) return res.end();
    if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterS));
    if (p.code === 'dependency_unavailable') {
      res.setHeader('Retry-After', String(OUTAGE_RETRY_AFTER_S));
      // refused before anything was written: known not to have happened, so no "outcome unknown"
      const attempt = res.locals.command as CommandAttempt | undefined;
      if (attempt && !(err instanceof RefusedBeforeWriteError)) p = outcomeUnknown(p, attempt);
    }
    sendProblem(res, p);
  };
}

export const notFoundHandler: RequestHandler = (req, res) =>
  sendProblem(res, { title: 'Not found', status: 404, detail: `no route for ${req.method} ${req.path}` });
