/**
 * Runs the embedded server as a child tied to this process. The child is a tiny `sh` watchdog that
 * forks a watcher and then execs postgres (so the child's pid *is* the postmaster's). The watcher
 * waits for end-of-file on the stdin pipe only this process holds open: when this process ends in
 * any way, SIGKILL included, the kernel closes the pipe and the watcher asks the postmaster for a
 * fast shutdown, after checking `postmaster.pid` still names it (a pid is never signalled once it
 * may belong to someone else). It uses shell builtins only, works on any POSIX system, needs no
 * native module (unlike prctl PDEATHSIG) and survives the switch to the server's user.
 * The server runs in a session of its own, so a terminal's Ctrl-C reaches only this process,
 * which then stops it last, after the work that needs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, renameSync } from 'node:fs';
import type { Binaries } from './binaries.js';
import { diagnoseStartFailure } from './diagnose.js';
import type { Layout } from './layout.js';
import { readPostmasterPid } from './postmaster-pid.js';
import { asServer, type ServerUser } from './server-user.js';

const WATCHDOG = `
cluster=$1; shift
exec 3<&0 </dev/null
pid=$$
( (
  while read -r _ <&3; do :; done
  first=
  { read -r first < "$cluster/postmaster.pid"; } 2>/dev/null
  [ "$first" = "$pid" ] && kill -INT "$pid"
) & )
exec 3<&- "$@"
`;

/** how long a start (including crash recovery) may take before it counts as failed */
const READY_WITHIN_MS = 300_000;
const SMART_WITHIN_MS = 5_000;
const STOP_WITHIN_MS = 60_000;

export interface RunningPostmaster {
  readonly pid: number;
  stop(): Promise<void>;
}

export interface PostmasterOptions {
  readonly bin: Binaries;
  readonly layout: Layout;
  readonly user: ServerUser;
  /** listen on 127.0.0.1:<port> as well as the socket */
  readonly tcp: boolean;
  readonly onExit: (why: string) => void;
}

export function serverFlags(layout: Layout, tcp: boolean): string[] {
  const c = (kv: string) => ['-c', kv];
  return [
    '-D',
    layout.cluster,
    '-p',
    String(layout.port),
    ...c(`listen_addresses=${tcp ? '127.0.0.1' : ''}`),
    ...c(`unix_socket_directories=${layout.socketDir}`),
    ...c('unix_socket_permissions=0700'),
    ...c('password_encryption=scram-sha-256'),
    ...c('max_connections=200'),
  ];
}

export async function startPostmaster(o: PostmasterOptions): Promise<RunningPostmaster> {
  if (existsSync(o.layout.logFile)) renameSync(o.layout.logFile, `${o.layout.logFile}.previous`);
  const logFd = openSync(o.layout.logFile, 'a', 0o600);
  const child = spawn(
    '/bin/sh',
    ['-c', WATCHDOG, 'sinas-postgres', o.layout.cluster, o.bin.postgres, ...serverFlags(o.layout, o.tcp)],
    {
      ...asServer(o.user),
      detached: true,
      cwd: o.layout.cluster,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_MESSAGES: 'C' },
      stdio: ['pipe', 'ignore', logFd],
    },
  );
  closeSync(logFd);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
  });
  let stopping = false;
  void exited.then((why) => {
    child.stdin?.destroy();
    if (!stopping) o.onExit(why);
  });
  const ready = await waitReady(child, o.layout, exited);
  if (ready !== true) {
    stopping = true;
    await stopChild(child, exited);
    throw diagnoseStartFailure(o.layout, ready);
  }
  return {
    pid: child.pid!,
    stop: async () => {
      stopping = true;
      await stopChild(child, exited);
    },
  };
}

/** true once postmaster.pid says our child is ready; else why it is not */
async function waitReady(
  child: ChildProcess,
  layout: Layout,
  exited: Promise<string>,
): Promise<true | string> {
  let gone: string | undefined;
  void exited.then((why) => (gone = why));
  const deadline = Date.now() + READY_WITHIN_MS;
  while (gone === undefined) {
    const pm = readPostmasterPid(layout.cluster);
    if (pm && pm.pid === child.pid && pm.status === 'ready') return true;
    if (Date.now() > deadline) return `not ready after ${READY_WITHIN_MS / 1000} s`;
    await new Promise((r) => setTimeout(r, 20));
  }
  return `it exited (${gone})`;
}

/**
 * Smart shutdown first (sessions this process just ended finish cleanly), fast if one lingers,
 * immediate if even that does not finish in time.
 */
async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const fast = setTimeout(() => child.kill('SIGINT'), SMART_WITHIN_MS);
  const immediate = setTimeout(() => child.kill('SIGQUIT'), STOP_WITHIN_MS);
  await exited;
  clearTimeout(fast);
  clearTimeout(immediate);
}
