/**
 * `npm start` as a user runs it: `node --import tsx src/main.ts` in a child process on its own data
 * dir (embedded Postgres) and port, with its stdout/stderr kept for assertions. The environment is
 * the test run's minus everything that would point it at the run's own services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from './until.js';

const DROPPED = [
  'DATABASE_URL',
  'REDIS_URL',
  'EVENTSTORE_URL',
  'DOCKER_HOST',
  'SINAS_DOCKER_HOST',
  'SINAS_ADMIN_API_KEY',
  'SINAS_EMBEDDED_PG_PORT',
  'SINAS_DATA_DIR',
  'SINAS_ENV',
  'PORT',
];

export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const k of DROPPED) delete base[k];
  // no warm function workers: these processes only start, serve and stop (two cores are shared)
  return { ...base, LOG_LEVEL: 'warn', HOST: '127.0.0.1', SINAS_FUNCTION_POOL_MIN: '0', ...env };
}

export interface SinasProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** resolves once /health answers 200; fails (with the process's stderr) if it exits first or after `cutoffMs` */
  healthy(cutoffMs?: number): Promise<void>;
  /** SIGTERM and the exit code */
  stop(): Promise<number | null>;
}

export function startSinas(
  dataDir: string,
  port: number,
  env: Record<string, string> = {},
  as: { uid?: number; gid?: number } = {},
): SinasProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: childEnv({ SINAS_DATA_DIR: dataDir, PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...as,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    exited,
    stdout: () => out,
    stderr: () => err,
    async healthy(cutoffMs = 60_000) {
      const serving = async () => {
        if (gone) throw new Error(`sinas exited before serving /health:\n${err}`);
        return fetch(`${url}/health`).then(
          (r) => r.status === 200,
          () => false,
        );
      };
      await until(`/health within the ${cutoffMs} ms cutoff`, serving, cutoffMs).catch((e: Error) => {
        throw new Error(`${e.message}:\n${err}`);
      });
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `npx sinas <args>` (bin/sinas.js) with the same environment rules. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['bin/sinas.js', ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, out, err };
}

/**
 * A suite's `npm start` processes and their data dirs (under a temp dir the server's user may pass
 * through when run as root); `cleanUp` stops what still runs and removes the dirs.
 */
export function sinasProcesses(prefix: string) {
  const running: SinasProcess[] = [];
  const dirs: string[] = [];
  return {
    /** a fresh data dir path named `sub` (not yet created) */
    dataDir(sub = 'data'): string {
      const d = mkdtempSync(path.join(os.tmpdir(), prefix));
      chmodSync(d, 0o711); // as root, the server's 'postgres' user must pass through to the data dir
      dirs.push(d);
      return path.join(d, sub);
    },
    /** a process to stop at clean-up (one started elsewhere, say) */
    track(s: SinasProcess): SinasProcess {
      running.push(s);
      return s;
    },
    start(dir: string, port: number): SinasProcess {
      return this.track(startSinas(dir, port));
    },
    async cleanUp(): Promise<void> {
      for (const s of running) if (s.child.exitCode === null) await s.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
