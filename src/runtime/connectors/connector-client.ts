/**
 * Runs one connector operation through the outbound guard (reference §5.2): credentials added,
 * the connector's timeout, a response size cap, redirects re-checked hop by hop. A dropped or refused
 * connection is tried again up to `retry.max_attempts` with the connector's backoff; an HTTP error
 * status is an answer (not retried), and neither a time-out, a refused target, an oversized answer
 * nor a cancelled call is retried. What is recorded names the URL without secrets.
 */
import { ValidationError } from '../../errors.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import {
  outboundRequest,
  OutboundTimeoutError,
  type OutboundResponse,
} from '../outbound/outbound-request.js';
import { credentials, secretQueryParam, type AuthPorts } from './connector-auth.js';
import { buildRequest, type BuiltRequest } from './connector-request.js';
import type {
  ConnectorCallDetail,
  ConnectorOperation,
  ConnectorResult,
  ConnectorSpec,
} from './connector-spec.js';

export interface ConnectorClientOptions {
  readonly guard: OutboundGuard;
  readonly auth: AuthPorts;
  /** a larger response body is an error (default 10 MiB) */
  readonly maxResponseBytes?: number;
  /** milliseconds per second of backoff (default 1000; tests make retries instant) */
  readonly backoffUnitMs?: number;
  readonly maxRedirects?: number;
}

/** A call that got no answer: a refused target, a network failure, a time-out, an oversized body. */
export class ConnectorCallError extends Error {
  constructor(
    message: string,
    readonly detail: ConnectorCallDetail,
    readonly refused = false,
  ) {
    super(message);
    this.name = 'ConnectorCallError';
  }
}

export interface ConnectorCall {
  readonly result: ConnectorResult;
  readonly detail: ConnectorCallDetail;
}

/** errors of a connection that dropped or was refused: worth another attempt */
const RETRIED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const MAX_BACKOFF_S = 30;
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** seconds to wait after failed attempt `attempt` (0-based), per §5.2 */
export function backoffSeconds(backoff: ConnectorSpec['retry']['backoff'], attempt: number): number {
  switch (backoff) {
    case 'exponential':
      return Math.min(0.5 * 2 ** attempt, MAX_BACKOFF_S);
    case 'linear':
      return Math.min(attempt + 1, MAX_BACKOFF_S);
    case 'none':
      return 0;
    default: {
      const unreachable: never = backoff;
      return unreachable;
    }
  }
}

export class ConnectorClient {
  private readonly maxBytes: number;

  constructor(private readonly options: ConnectorClientOptions) {
    this.maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** the operation by name; unknown: a ValidationError naming `operation` */
  static operation(connector: ConnectorSpec, name: string): ConnectorOperation {
    const op = connector.operations.find((o) => o.name === name);
    if (!op)
      throw new ValidationError(
        `connector '${connector.namespace}/${connector.name}' has no operation '${name}'`,
        'operation',
      );
    return op;
  }

  /** Throws a ValidationError for arguments that make no request, a ConnectorCallError for no answer. */
  async call(
    connector: ConnectorSpec,
    op: ConnectorOperation,
    args: Readonly<Record<string, unknown>>,
    userId: string,
    signal?: AbortSignal,
  ): Promise<ConnectorCall> {
    const built = buildRequest(connector, op, args);
    const creds = await credentials(connector.auth, userId, this.options.auth);
    for (const [k, v] of Object.entries(creds.query)) built.url.searchParams.set(k, v);
    const headers = { ...built.headers, ...creds.headers };
    const shown = redacted(built.url, secretQueryParam(connector.auth));
    const attempts = Math.max(1, connector.retry?.max_attempts ?? 1);
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const detail = (status: number | null, bytes: number): ConnectorCallDetail => ({
        method: built.method,
        url: shown,
        status,
        elapsed_ms: elapsed(),
        body_bytes: bytes,
        attempts: attempt + 1,
      });
      try {
        const res = await this.send(built, headers, connector.timeout_seconds, signal);
        if (res.body.length > this.maxBytes)
          throw new ConnectorCallError(
            `the response is larger than ${this.maxBytes} bytes`,
            detail(res.statusCode, res.body.length),
          );
        const result = toResult(res, op, elapsed());
        return { result, detail: detail(res.statusCode, res.body.length) };
      } catch (err) {
        if (err instanceof ConnectorCallError) throw err;
        const again = attempt + 1 < attempts && isRetried(err) && !signal?.aborted;
        if (!again)
          throw new ConnectorCallError(messageOf(err), detail(null, 0), err instanceof ValidationError);
        await sleep(
          backoffSeconds(connector.retry.backoff, attempt) * (this.options.backoffUnitMs ?? 1000),
          signal,
        );
      }
    }
  }

  private send(
    built: BuiltRequest,
    headers: Record<string, string>,
    timeoutSeconds: number,
    signal: AbortSignal | undefined,
  ): Promise<OutboundResponse> {
    return outboundRequest(this.options.guard, built.url, {
      method: built.method,
      headers,
      ...(built.body !== undefined ? { body: built.body } : {}),
      timeoutMs: timeoutSeconds * 1000,
      maxRedirects: this.options.maxRedirects ?? 5,
      maxResponseBytes: this.maxBytes + 1,
      ...(signal ? { signal } : {}),
    });
  }
}

function isRetried(err: unknown): boolean {
  if (err instanceof ValidationError || err instanceof OutboundTimeoutError) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && RETRIED.has(code);
}

function messageOf(err: unknown): string {
  if (err instanceof OutboundTimeoutError) return `the request ${err.message}`;
  if (err instanceof ValidationError) return err.message;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/** the URL with the API key's query value replaced; never userinfo (refused on save anyway) */
export function redacted(url: URL, secretParam: string | undefined): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  if (secretParam && u.searchParams.has(secretParam)) u.searchParams.set(secretParam, 'REDACTED');
  return u.toString();
}

function toResult(res: OutboundResponse, op: ConnectorOperation, elapsedMs: number): ConnectorResult {
  const text = res.body.toString('utf8');
  return {
    status_code: res.statusCode,
    headers: stringHeaders(res.headers),
    body: op.response_mapping === 'json' ? jsonOrText(text) : text,
    elapsed_ms: elapsedMs,
  };
}

function jsonOrText(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** header values as strings (several values joined with `, `); set-cookie left out */
function stringHeaders(headers: OutboundResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || k === 'set-cookie') continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
