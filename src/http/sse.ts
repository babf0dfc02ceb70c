/** Server-Sent Events over an express response: frames, heartbeats, and cleanup on disconnect. */
import type { Request, Response } from 'express';
import { UnauthorizedError, ValidationError } from '../errors.js';
import { credentialRecheck } from './auth.js';

/** how often an open stream checks that its credential still holds (revoked: the stream ends) */
const RECHECK_MS = 2000;

export interface SseFrame {
  readonly event: string;
  readonly data: unknown;
  readonly id?: string;
  /** `data` already as JSON text (no line breaks), when the sender has it; sent instead of serialising */
  readonly json?: string;
}

export interface SseConnection {
  send(frame: SseFrame): void;
  end(): void;
  /** resolves when the client goes away or end() is called */
  readonly closed: Promise<void>;
}

/** each app's open streams, by how to end one */
const openStreams = new WeakMap<object, Set<() => void>>();

/**
 * Ends every stream `app` has open (its server is stopping): a client reconnects with
 * `Last-Event-ID` and resumes where it was, on this server once it is back or on another.
 */
export function endStreams(app: object): void {
  for (const end of [...(openStreams.get(app) ?? [])]) end();
}

/** How many streams `app` has open (the metrics' open SSE streams). */
export function openStreamCount(app: object): number {
  return openStreams.get(app)?.size ?? 0;
}

export function openSse(req: Request, res: Response, heartbeatMs = 15_000): SseConnection {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  let done = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let lastWrite = Date.now();
  // Frames sent in one turn of the event loop (a page of catch-up, however its work is split into
  // microtasks) go out as one socket write, before the loop next waits for I/O.
  let buffered: string[] = [];
  const flush = () => {
    const text = buffered.join('');
    buffered = [];
    if (!done && text) res.write(text);
  };
  const write = (text: string) => {
    if (done) return;
    if (buffered.length === 0) setImmediate(flush);
    buffered.push(text);
    lastWrite = Date.now();
  };
  // the headers go out with this and the frames sent in the same burst, in one socket write
  write('retry: 1000\n\n');
  // ends the stream with an `error` frame once its credential no longer holds
  const checkCredential = credentialWatch(req, (message) => {
    write(`event: error\ndata: ${JSON.stringify({ error: message, status: 401 })}\n\n`);
    endNow();
  });
  const timer = setInterval(
    () => {
      if (Date.now() - lastWrite >= heartbeatMs) write('event: ping\ndata: \n\n');
      checkCredential();
    },
    Math.min(heartbeatMs, RECHECK_MS),
  );
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    resolveClosed();
  };
  let streams = openStreams.get(req.app);
  if (!streams) openStreams.set(req.app, (streams = new Set()));
  const endNow = () => {
    flush();
    finish();
    res.end();
  };
  streams.add(endNow);
  void closed.then(() => streams.delete(endNow));
  req.on('close', finish);
  res.on('close', finish);
  return {
    send(frame) {
      const head =
        frame.id === undefined ? `event: ${frame.event}\n` : `event: ${frame.event}\nid: ${frame.id}\n`;
      // JSON text holds no line breaks (they are escaped), so an object is one data line
      const data =
        frame.json ??
        (typeof frame.data === 'string'
          ? frame.data.split('\n').join('\ndata: ')
          : JSON.stringify(frame.data));
      write(`${head}data: ${data}\n\n`);
    },
    end: endNow,
    closed,
  };
}

/**
 * A tick that checks the request's credential again (at most every RECHECK_MS, one check at a time)
 * and calls `revoked` once it no longer holds; any other fault (the database away) waits for the
 * next tick.
 */
function credentialWatch(req: Request, revoked: (message: string) => void): () => void {
  const recheck = credentialRecheck(req);
  let checking = false;
  let gone = false;
  let lastCheck = Date.now();
  return () => {
    if (!recheck || checking || gone || Date.now() - lastCheck < RECHECK_MS) return;
    checking = true;
    lastCheck = Date.now();
    recheck().then(
      () => (checking = false),
      (err: unknown) => {
        checking = false;
        if (!(err instanceof UnauthorizedError)) return;
        gone = true;
        revoked(err.message);
      },
    );
  };
}

/**
 * Where a client resumes: `Last-Event-ID` or `?after=`, as `R` (a revision) or `R.S` (a delta). A
 * value of another form is a 400 naming it, never a silent replay from the start (the input limits
 * and route schemas refuse it first; this holds for any route that reads it).
 */
export function resumePoint(req: Request): { revision: bigint; seq: number } | undefined {
  const header = req.get('last-event-id');
  const field = header !== undefined ? 'Last-Event-ID' : 'after';
  const raw = header ?? req.query.after;
  if (raw === undefined || raw === '') return undefined;
  const m = typeof raw === 'string' ? raw.trim().match(/^(\d+)(?:\.(\d+))?$/) : null;
  if (!m) throw new ValidationError(`${field}: must be an event id this server sent (123 or 123.4)`, field);
  return { revision: BigInt(m[1]!), seq: m[2] ? Number(m[2]) : 0 };
}
