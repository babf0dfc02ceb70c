/**
 * One webhook POST, through the SSRF guard's `lookup` (the address is checked as it is connected
 * to), with a hard time limit. Never throws: the outcome says what happened.
 */
import http from 'node:http';
import https from 'node:https';
import type { UrlGuard } from './url-guard.js';

export interface PostOutcome {
  /** 2xx */
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** how much of a response body is read (and thrown away) before the connection is dropped */
const MAX_RESPONSE_BYTES = 64 * 1024;

export function postWebhook(
  guard: UrlGuard,
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PostOutcome> {
  const started = Date.now();
  const done = (statusCode: number | null, error: string | null): PostOutcome => ({
    ok: statusCode !== null && statusCode >= 200 && statusCode < 300,
    statusCode,
    error,
    durationMs: Date.now() - started,
  });
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Sinas-Webhooks',
      },
      lookup: guard.lookup as never,
      timeout: timeoutMs,
      signal,
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve(done(null, err.message));
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const finish = () => {
        clearTimeout(timer);
        const status = res.statusCode ?? null;
        resolve(done(status, status !== null && status >= 200 && status < 300 ? null : `HTTP ${status}`));
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.end(body);
  });
}
