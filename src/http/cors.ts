/**
 * CORS: which browser origins may call the API, from SINAS_CORS_ORIGINS (see src/runtime/config.ts).
 * Credentials are never allowed: every request authenticates with a header the calling page must
 * already hold (an API key or a bearer token), so allowing an origin grants it nothing by itself.
 * The headers a client reads back (the stream channel, replays, Retry-After, ETag) are exposed.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';

const EXPOSED = [
  'X-Stream-Channel',
  'X-Request-Id',
  'Idempotent-Replayed',
  'Retry-After',
  'ETag',
  'Location',
];

/** The CORS middleware for `origins`, or none when no origin is allowed. */
export function corsFor(origins: '*' | readonly string[]): RequestHandler | undefined {
  if (origins !== '*' && origins.length === 0) return undefined;
  return cors({
    origin: origins === '*' ? '*' : [...origins],
    credentials: false,
    exposedHeaders: EXPOSED,
    maxAge: 600,
  });
}
