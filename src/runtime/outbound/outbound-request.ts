/**
 * One outbound HTTP request through the guard: every hop's URL is checked before it is called, the
 * socket connects only to an address the guard's `lookup` judged as it connected, and a redirect is
 * followed only when it keeps the request as it was (the same method and body: 307 and 308, or any
 * redirect of a GET or HEAD), at most `maxRedirects` times, each target checked like the first.
 * Credentials (Authorization, Cookie) never follow a redirect to another origin. One time limit
 * covers every hop; the response body is read up to a cap.
 */
import http from 'node:http';
import https from 'node:https';
import type { OutboundGuard } from './outbound-guard.js';

export interface OutboundRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** default 5 */
  readonly maxRedirects?: number;
  /** how much of the response body is kept; the connection is dropped after it (default 1 MiB) */
  readonly maxResponseBytes?: number;
  readonly signal?: AbortSignal;
  /** the field a refused URL is reported under (default `url`) */
  readonly field?: string;
}

export interface OutboundResponse {
  readonly statusCode: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** the URL that answered (after redirects) */
  readonly url: URL;
}

/** The request's time limit ran out (a caller that retries failures must not retry this one). */
export class OutboundTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'OutboundTimeoutError';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIALS = ['authorization', 'cookie', 'proxy-authorization'];

/** Throws the guard's ValidationError for a refused target, an Error for a failed request. */
export async function outboundRequest(
  guard: OutboundGuard,
  url: string | URL,
  request: OutboundRequest,
): Promise<OutboundResponse> {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  /** a failure once the time is up is reported as the time limit */
  const failed = (err: Error) => (deadline.aborted ? new OutboundTimeoutError(request.timeoutMs) : err);
  const field = request.field ?? 'url';
  let target = await guard.check(url, field);
  let headers = { ...request.headers };
  for (let hops = 0; ; hops++) {
    const res = await send(guard, target, { ...request, headers }, signal).catch((err: Error) => {
      throw failed(err);
    });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    const keepsRequest = status === 307 || status === 308 || isSafe(request.method);
    if (!REDIRECTS.has(status) || !location || !keepsRequest || hops >= (request.maxRedirects ?? 5))
      return readBody(res, target, request.maxResponseBytes ?? 1024 * 1024).catch((err: Error) => {
        throw failed(err);
      });
    res.resume();
    const next = await guard.check(new URL(location, target), field);
    if (next.origin !== target.origin) headers = withoutCredentials(headers);
    target = next;
  }
}

const isSafe = (method: string) => method === 'GET' || method === 'HEAD';

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIALS.includes(k.toLowerCase())));
}

function send(
  guard: OutboundGuard,
  url: URL,
  request: OutboundRequest,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const req = client.request(url, {
      method: request.method,
      headers,
      lookup: guard.lookup as never,
      signal,
    });
    req.on('error', reject);
    req.on('response', resolve);
    req.end(request.body);
  });
}

function readBody(res: http.IncomingMessage, url: URL, max: number): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let read = 0;
    const done = () =>
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), url });
    res.on('data', (chunk: Buffer) => {
      if (read < max) chunks.push(chunk.subarray(0, max - read));
      read += chunk.length;
      if (read >= max) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', reject);
    res.on('close', done);
  });
}
