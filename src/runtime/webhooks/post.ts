/**
 * One webhook POST, through the one outbound guard (every hop's URL checked, the address checked as
 * it is connected to, a redirect followed only when it keeps the POST and its body), with a hard
 * time limit. Never throws: the outcome says what happened.
 */
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import { outboundRequest } from '../outbound/outbound-request.js';

export interface PostOutcome {
  /** 2xx */
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** how much of a response body is read (and thrown away) before the connection is dropped */
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function postWebhook(
  guard: OutboundGuard,
  url: string,
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
  try {
    const res = await outboundRequest(guard, url, {
      method: 'POST',
      headers: { ...headers, 'user-agent': 'Sinas-Webhooks' },
      body,
      timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      ...(signal ? { signal } : {}),
    });
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return done(res.statusCode, ok ? null : `HTTP ${res.statusCode}`);
  } catch (err) {
    return done(null, (err as Error).message);
  }
}
