/**
 * How a harness process is launched on the host: under bubblewrap (no network, a private view of
 * /usr and a tmpfs /tmp, a fresh uid), as a plain subprocess with rlimits (when namespaces are not
 * available), or trusted (the shared pool: a plain long-lived process). Where the platform runs as
 * root, every one of them runs as a fresh unprivileged uid of its own, never as root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { HARNESS_FILE } from './harness-files.js';
import { harnessLimitEnv, type SandboxLimits } from './limits.js';
import type { ProcessLaunch } from './process-worker.js';

export type HostSandbox = 'bubblewrap' | 'unsafe-subprocess';

export interface HostLaunchOptions {
  readonly python: string;
  /** a directory holding a world-readable copy of the harness */
  readonly harnessDir: string;
  readonly limits: SandboxLimits;
}

const BASE_ENV = { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' };
const SANDBOX_UID = 10001;
const IS_ROOT = process.getuid?.() === 0;

/** uids above every account's, from a random start (other platform processes on the host pick theirs) */
const UID_BASE = 200_000;
const UID_SPAN = 1_000_000_000;
let nextUid = Math.floor(Math.random() * UID_SPAN);

/**
 * A host uid no account uses, one per worker (root only): RLIMIT_NPROC counts per uid, and two workers
 * never share one (a uid is what keeps one user's plain process from signalling or tracing another's).
 */
export function freshUid(): number | undefined {
  if (!IS_ROOT) return undefined;
  nextUid = (nextUid + 1) % UID_SPAN;
  return UID_BASE + nextUid;
}

function prlimit(limits: SandboxLimits): string[] {
  return [
    `--nproc=${limits.pids}`,
    `--as=${limits.memoryBytes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--nofile=${limits.openFiles}`,
    `--cpu=${limits.cpuSecondsPerWorker}`,
    '--core=0',
    '--',
  ];
}

/** /bin, /lib, ... are symlinks into /usr on merged-/usr systems; bind them as they are. */
function rootLinks(): string[] {
  return ['/bin', '/sbin', '/lib', '/lib64', '/lib32'].flatMap((p) => {
    if (!existsSync(p)) return [];
    return lstatSync(p).isSymbolicLink() ? ['--symlink', readlinkSync(p), p] : ['--ro-bind', p, p];
  });
}

function bwrapArgs(opts: HostLaunchOptions): string[] {
  const etc = ['/etc/ld.so.cache', '/etc/localtime'].flatMap((p) => ['--ro-bind-try', p, p]);
  return [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--ro-bind',
    '/usr',
    '/usr',
    ...rootLinks(),
    '--dir',
    '/etc',
    ...etc,
    '--ro-bind',
    opts.harnessDir,
    '/opt/sinas',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(opts.limits.tmpfsBytes),
    '--tmpfs',
    '/tmp',
    '--chdir',
    '/tmp',
    '--clearenv',
    ...Object.entries({ ...BASE_ENV, ...harnessLimitEnv(opts.limits) }).flatMap(([k, v]) => [
      '--setenv',
      k,
      v,
    ]),
    '--',
    opts.python,
    '-I',
    `/opt/sinas/${HARNESS_FILE}`,
  ];
}

export function hostLaunch(sandbox: HostSandbox, opts: HostLaunchOptions): ProcessLaunch {
  const uid = freshUid();
  const harness = path.join(opts.harnessDir, HARNESS_FILE);
  const limited = hasPrlimit() ? ['prlimit', ...prlimit(opts.limits)] : [];
  const argv =
    sandbox === 'bubblewrap'
      ? [...limited, 'bwrap', ...bwrapArgs(opts)]
      : [...limited, opts.python, '-I', harness];
  return {
    command: argv[0]!,
    args: argv.slice(1),
    env: { ...BASE_ENV, ...harnessLimitEnv(opts.limits) },
    cwd: opts.harnessDir,
    ...(uid !== undefined ? { uid } : {}),
  };
}

/**
 * The trusted shared pool: the harness as a plain process, no sandbox, no limits; never root: as root,
 * each worker drops to a fresh uid, so it cannot read the platform's own 0600 files (encryption key,
 * JWT secret, database password).
 */
export function trustedLaunch(python: string, harnessDir: string): ProcessLaunch {
  const uid = freshUid();
  return {
    command: python,
    args: ['-I', path.join(harnessDir, HARNESS_FILE)],
    env: { ...BASE_ENV },
    cwd: harnessDir,
    ...(uid !== undefined ? { uid } : {}),
  };
}

let prlimitFound: boolean | undefined;
function hasPrlimit(): boolean {
  prlimitFound ??= spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0;
  return prlimitFound;
}

/** Can bubblewrap create its namespaces here (as the uid a worker would get)? */
export function bubblewrapWorks(opts: HostLaunchOptions): { ok: boolean; why: string } {
  const launch = hostLaunch('bubblewrap', opts);
  const args = [...launch.args];
  args.splice(args.length - 2, 2, '-c', 'pass'); // python -c pass instead of the harness
  const r = spawnSync(launch.command, args, {
    env: launch.env,
    cwd: launch.cwd,
    timeout: 10_000,
    encoding: 'utf8',
    ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.uid } : {}),
  });
  if (r.error) return { ok: false, why: r.error.message };
  return r.status === 0 ? { ok: true, why: '' } : { ok: false, why: (r.stderr || `exit ${r.status}`).trim() };
}
