/**
 * How the API stops serving at shutdown. Closing the listener alone never ends while clients keep
 * their kept-alive connections busy (a client retrying every few hundred ms during an outage, an
 * SSE follower that reconnects on the same connection): so a request arriving after the stop
 * began is answered 503 "shutting down" with `Connection: close`, idle connections are closed as
 * they become idle, streams opened late are ended, and whatever still runs after the grace (a
 * request waiting on a database that is down) is cut.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How long in-flight requests get to finish before their connections are closed. */
export const SHUTDOWN_GRACE_MS = 10_000;
const SWEEP_MS = 100;

/** Resolves once every connection of `server` is closed. */
export function drain(server: Server, endStreams: () => void, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    const sweep = () => {
      server.closeIdleConnections();
      endStreams(); // endless by nature: clients resume with Last-Event-ID
    };
    const sweeper = setInterval(sweep, SWEEP_MS);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(sweeper);
      clearTimeout(cut);
      resolve();
    });
    server.removeAllListeners('request');
    server.on('request', refuse);
    sweep();
  });
}

/** A request that arrived after the stop began: not run; the client retries on a new connection. */
function refuse(_req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
  res.writeHead(503, {
    'content-type': 'application/problem+json',
    'retry-after': '1',
    connection: 'close',
  });
  res.end(
    JSON.stringify({
      type: 'about:blank',
      title: 'Service unavailable',
      status: 503,
      detail: 'the server is shutting down: retry shortly',
      code: 'shutting_down',
    }),
  );
}
