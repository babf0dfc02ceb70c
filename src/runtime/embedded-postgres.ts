/**
 * The embedded default database: a real Postgres under SINAS_DATA_DIR, locked down. Its superuser
 * has a generated password (a file of the data dir, 0600) and is used only here, over the unix
 * socket, to provision; the platform connects as the role `sinas`, which owns its database and
 * nothing else. No TCP listener unless asked for; the socket sits in a 0700 directory of the
 * server's user. One process owns a data dir at a time (the instance lock); a Postgres left running
 * by a dead owner is stopped before ours starts, and ours stops when this process ends.
 * A data dir made by the old code (password `postgres`, TCP) is converted on its first start here.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from './startup-error.js';
import { binaries, type Binaries } from './embedded-pg/binaries.js';
import { clusterExists, initCluster, superuserPassword, writeHba } from './embedded-pg/cluster.js';
import { acquireInstanceLock, liveOwner } from './embedded-pg/instance-lock.js';
import { clearLeftover } from './embedded-pg/leftover.js';
import {
  APP_DATABASE,
  APP_ROLE,
  DATA_DATABASE,
  DATA_ROLE,
  layoutOf,
  socketUrl,
  type Layout,
} from './embedded-pg/layout.js';
import { readPassword } from './embedded-pg/passwords.js';
import { readPostmasterPid, servesCluster } from './embedded-pg/postmaster-pid.js';
import { startPostmaster } from './embedded-pg/postmaster.js';
import { provision } from './embedded-pg/provision.js';
import {
  ensurePrivateDir,
  reachableByServer,
  serverUser,
  type ServerUser,
} from './embedded-pg/server-user.js';
import { describeProcess } from './processes.js';

export { DEFAULT_PORT } from './embedded-pg/layout.js';

export interface EmbeddedDatabase {
  /** the platform's connection: role `sinas` over the unix socket */
  readonly url: string;
  /** the data database's (`built-in`): role `sinas_data` over the same socket */
  readonly dataUrl: string;
  readonly layout: Layout;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly dataDir: string;
  /** names the socket file; with `tcp`, also the loopback TCP port */
  readonly port?: number;
  readonly tcp?: boolean;
  readonly log: (msg: string) => void;
}

export async function startEmbeddedPostgres(o: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const layout = layoutOf(o.dataDir, o.port);
  const user = serverUser();
  prepareRoot(layout.root, user.uid !== undefined);
  if (!reachableByServer(layout.root, user))
    throw new StartupError(
      `the database server's OS user '${user.name}' cannot reach ${layout.root} (a parent directory is not searchable by it)`,
      `choose a SINAS_DATA_DIR under a directory every user may enter (chmod o+x on each parent), e.g. /var/lib/sinas`,
    );
  const lock = acquireInstanceLock(layout.lockFile, layout.root);
  try {
    const bin = await binaries();
    ensurePrivateDir(layout.socketDir, user);
    await clearLeftover(bin, layout, user, o.log);
    const superPassword = await openCluster(bin, layout, user, o.log);
    writeHba(layout, o.tcp ?? false);
    const server = await startPostmaster({
      bin,
      layout,
      user,
      tcp: o.tcp ?? false,
      onExit: (why) => o.log(`embedded Postgres exited unexpectedly (${why}); its log: ${layout.logFile}`),
    });
    try {
      const passwords = await provision(layout, superPassword);
      return {
        url: socketUrl(APP_ROLE, passwords.app, APP_DATABASE, layout.socketDir, layout.port),
        dataUrl: socketUrl(DATA_ROLE, passwords.data, DATA_DATABASE, layout.socketDir, layout.port),
        layout,
        stop: async () => {
          await server.stop();
          removeOutsideSocketDir(layout);
          lock.release();
        },
      };
    } catch (err) {
      await server.stop();
      throw err;
    }
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** A new cluster, or an existing one with its superuser password (set afresh when its file is missing). */
async function openCluster(
  bin: Binaries,
  layout: Layout,
  user: ServerUser,
  log: (msg: string) => void,
): Promise<string> {
  if (!clusterExists(layout)) {
    log(`initialising embedded Postgres in ${layout.cluster}`);
    return initCluster(bin, layout, user);
  }
  if (!readPassword(layout.superuserPasswordFile))
    log(
      `embedded Postgres in ${layout.cluster} has no password file (made by an older Sinas, or the file was lost): ` +
        'setting generated passwords, turning TCP off and handing its tables to the role sinas',
    );
  return superuserPassword(bin, layout, user);
}

/**
 * The URL of the embedded database another process of this data dir is serving (the CLI beside a
 * running `npm start`), found through the data dir: its lock, `postmaster.pid` and password file.
 * Undefined when no process owns the data dir.
 */
export function runningEmbeddedUrl(dataDir: string): string | undefined {
  const layout = layoutOf(dataDir);
  const owner = liveOwner(layout.lockFile);
  if (!owner) return undefined;
  const pm = readPostmasterPid(layout.cluster);
  const password = readPassword(layout.appPasswordFile);
  if (!pm || pm.status !== 'ready' || !servesCluster(pm.pid, layout.cluster) || !password)
    throw new StartupError(
      `${describeProcess(owner.pid)} owns the data directory ${layout.root} but its database is not ready`,
      'wait until it has started (or stop it), then run the command again',
    );
  return socketUrl(APP_ROLE, password, APP_DATABASE, pm.socketDir, pm.port);
}

/** A socket directory in /tmp (the data dir's path was too long) goes with the server; it is empty now. */
function removeOutsideSocketDir(layout: Layout): void {
  if (layout.socketDir.startsWith(`${layout.root}${path.sep}`)) return;
  try {
    rmdirSync(layout.socketDir);
  } catch {
    // not empty (a file someone put there) or already gone: leave it, the next start checks it
  }
}

/** As root the server's user must pass through the data dir to its cluster and socket: 0711. */
function prepareRoot(root: string, asRoot: boolean): void {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    accessSync(root, constants.W_OK);
  } catch (err) {
    const owner = existsSync(root) ? ` (it belongs to uid ${statSync(root).uid})` : '';
    throw new StartupError(
      `this process (uid ${process.getuid?.() ?? '?'}) cannot create or write the data directory ${root}${owner}: ${(err as Error).message}`,
      'run Sinas as the user who owns it, or point SINAS_DATA_DIR at a directory of this user',
      undefined,
      { cause: err },
    );
  }
  if (asRoot && (statSync(root).mode & 0o777) !== 0o711) chmodSync(root, 0o711);
}
