/**
 * A real HTTP server on 127.0.0.1 for outbound-call tests (connectors): it records every request
 * (method, URL, headers, body) and answers by the route a test gives it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Answer = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

export interface HttpPeer {
  readonly url: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  /** requests to `path` (without the query string) */
  to(path: string): SeenRequest[];
  stop(): Promise<void>;
}

/** `routes`: path (without query) → how to answer; anything else gets 200 `{ok: true}` as JSON. */
export async function startHttpPeer(routes: Readonly<Record<string, Answer>> = {}): Promise<HttpPeer> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      const answer = routes[req.url!.split('?')[0]!];
      if (answer) return answer(req, res, s);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    to: (path) => seen.filter((s) => s.url.split('?')[0] === path),
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
