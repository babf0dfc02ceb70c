/**
 * Outbound requests through the one guard, against real HTTP servers on 127.0.0.1: a name that
 * resolves to a refused address is refused as the socket connects (DNS rebinding, and the system
 * resolver's `localhost`), and every redirect target is checked before it is followed.
 */
import { expect } from 'chai';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { ValidationError } from '../../src/errors.js';
import { OutboundGuard } from '../../src/runtime/outbound/outbound-guard.js';
import { outboundRequest } from '../../src/runtime/outbound/outbound-request.js';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly authorization: string | undefined;
}

/** A server on 127.0.0.1 that records each request and answers as `answer` says. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, body, authorization: req.headers.authorization });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    port,
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const redirect = (status: number, location: string) => (_: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { location });
  res.end();
};

const refusedWith = async (p: Promise<unknown>): Promise<ValidationError> => {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('the request was not refused');
};

const post = {
  method: 'POST',
  headers: { 'content-type': 'text/plain' },
  body: 'payload',
  timeoutMs: 20_000,
};

describe('outbound requests through the guard', function () {
  this.timeout(30_000);
  let servers: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });
  const started = async (answer: Parameters<typeof serve>[0]) => {
    const s = await serve(answer);
    servers.push(s);
    return s;
  };
  const ok = (_: IncomingMessage, res: ServerResponse) => res.end('fine');

  it('refuses at connect a name that resolved publicly when checked and privately when connected', async () => {
    const target = await started(ok);
    let calls = 0;
    const rebinding = async (): Promise<LookupAddress[]> =>
      calls++ === 0 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    const guard = new OutboundGuard([], { resolve: rebinding, ownAddresses: () => [] });
    const err = await refusedWith(outboundRequest(guard, `http://rebind.test:${target.port}/hook`, post));
    expect(err.message).to.contain('127.0.0.1');
    expect(calls).to.equal(2);
    expect(target.seen).to.deep.equal([]);
  });

  it('refuses at connect a name the system resolver maps to loopback (localhost), even without the check', async () => {
    const target = await started(ok);
    const guard = new OutboundGuard([]);
    await refusedWith(outboundRequest(guard, `http://localhost:${target.port}/`, post));
    // a caller that skipped check(): the socket still gets no address
    const err = await new Promise<Error>((resolve) => {
      const req = request(`http://localhost:${target.port}/`, { lookup: guard.lookup as never }, () =>
        resolve(new Error('connected')),
      );
      req.on('error', resolve);
      req.end();
    });
    expect(err).to.be.instanceOf(ValidationError);
    expect(target.seen).to.deep.equal([]);
  });

  it('checks every redirect target: a redirect to a refused address is not followed', async () => {
    const guard = new OutboundGuard(['127.0.0.1']);
    for (const location of [
      'http://127.0.0.2/',
      'http://[::1]/x',
      'http://169.254.169.254/latest',
      'http://[::ffff:10.0.0.1]/',
    ]) {
      const target = await started(redirect(307, location));
      const err = await refusedWith(outboundRequest(guard, `${target.url}/hook`, post));
      expect(err.message, location).to.match(/may not reach/);
      expect(target.seen.map((s) => s.path)).to.deep.equal(['/hook']);
    }
  });

  it('follows a redirect that keeps the request (307/308), with the same method and body', async () => {
    const guard = new OutboundGuard(['127.0.0.1']);
    const target = await started((req, res) =>
      req.url === '/final' ? res.end('arrived') : redirect(req.url === '/a' ? 307 : 308, '/final')(req, res),
    );
    for (const start of ['/a', '/b']) {
      const res = await outboundRequest(guard, `${target.url}${start}`, post);
      expect(res.statusCode).to.equal(200);
      expect(res.body.toString()).to.equal('arrived');
      expect(res.url.pathname).to.equal('/final');
    }
    expect(target.seen.map((s) => `${s.method} ${s.path} ${s.body}`)).to.deep.equal([
      'POST /a payload',
      'POST /final payload',
      'POST /b payload',
      'POST /final payload',
    ]);
  });

  it('does not turn a POST into a GET: a 302 or 303 answer to a POST is the response', async () => {
    const guard = new OutboundGuard(['127.0.0.1']);
    for (const status of [301, 302, 303]) {
      const target = await started(redirect(status, '/elsewhere'));
      const res = await outboundRequest(guard, `${target.url}/hook`, post);
      expect(res.statusCode).to.equal(status);
      expect(target.seen.map((s) => s.path)).to.deep.equal(['/hook']);
    }
  });

  it('stops after maxRedirects, and drops credentials on a redirect to another origin', async () => {
    const guard = new OutboundGuard(['127.0.0.1']);
    const loop = await started(redirect(307, '/again'));
    const res = await outboundRequest(guard, `${loop.url}/start`, { ...post, maxRedirects: 2 });
    expect(res.statusCode).to.equal(307);
    expect(loop.seen).to.have.length(3);
    const other = await started(ok);
    const hop = await started((req, res) =>
      req.url === '/same' ? redirect(307, `${other.url}/there`)(req, res) : redirect(307, '/same')(req, res),
    );
    await outboundRequest(guard, `${hop.url}/start`, { ...post, headers: { authorization: 'Bearer t' } });
    expect(hop.seen.map((s) => s.authorization)).to.deep.equal(['Bearer t', 'Bearer t']);
    expect(other.seen.map((s) => s.authorization)).to.deep.equal([undefined]);
  });

  it('reports a target that never answers as timed out', async () => {
    const guard = new OutboundGuard(['127.0.0.1']);
    const silent = await started(() => undefined);
    const err = await outboundRequest(guard, `${silent.url}/`, { ...post, timeoutMs: 200 }).then(
      () => new Error('answered'),
      (e: Error) => e,
    );
    expect(err.message).to.match(/timed out after 200 ms/);
  });
});
