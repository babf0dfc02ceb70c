/**
 * Starts the HTTP server on PORT/HOST, or says why it cannot: the port is taken (by which process,
 * when this machine tells), needs privileges, or the address is not this host's.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { describeProcess, tcpListeners } from './processes.js';
import { StartupError } from './startup-error.js';

export async function listenHttp(handler: RequestListener, port: number, host: string): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw listenFailure(err, port, host);
  });
  return server;
}

function listenFailure(err: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (err.code) {
    case 'EADDRINUSE': {
      const who = tcpListeners(port).map(describeProcess).join(', ');
      return new StartupError(
        `port ${port} is in use${who ? ` by ${who}` : ''} (HOST=${host})`,
        `set PORT=… to a free port (PORT=0 picks one), or stop the process using ${port}`,
        undefined,
        { cause: err },
      );
    }
    case 'EACCES':
      return new StartupError(
        `port ${port} needs privileges this process does not have`,
        'set PORT to 1024 or above',
        undefined,
        { cause: err },
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `HOST=${host} is not an address of this machine`,
        'set HOST to one of its addresses (127.0.0.1, or 0.0.0.0 for all)',
        undefined,
        { cause: err },
      );
    default:
      return err;
  }
}
