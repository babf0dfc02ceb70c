/**
 * Where the embedded database keeps what under SINAS_DATA_DIR, in one place: the cluster, the two
 * password files, the instance lock, the server log, and the unix socket's directory (in the data
 * dir when the socket's path fits in a socket address, else a short per-data-dir directory in /tmp).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

/** The socket file is named after the port even when the server has no TCP listener. */
export const DEFAULT_PORT = 54329;
/** sun_path holds 108 bytes with the terminating NUL */
const MAX_SOCKET_PATH = 107;

export const SUPERUSER = 'postgres';
export const APP_ROLE = 'sinas';
export const APP_DATABASE = 'sinas';
/** the data database the `built-in` database connection points at, and its own role */
export const DATA_ROLE = 'sinas_data';
export const DATA_DATABASE = 'sinas_data';

export interface Layout {
  readonly root: string;
  readonly cluster: string;
  readonly superuserPasswordFile: string;
  readonly appPasswordFile: string;
  readonly dataPasswordFile: string;
  readonly lockFile: string;
  readonly logFile: string;
  readonly socketDir: string;
  readonly port: number;
}

export function layoutOf(dataDir: string, port: number = DEFAULT_PORT): Layout {
  const root = path.resolve(dataDir);
  return {
    root,
    cluster: path.join(root, 'postgres'),
    superuserPasswordFile: path.join(root, 'postgres-superuser.password'),
    appPasswordFile: path.join(root, 'postgres-sinas.password'),
    dataPasswordFile: path.join(root, 'postgres-sinas_data.password'),
    lockFile: path.join(root, 'sinas.lock'),
    logFile: path.join(root, 'postgres.log'),
    socketDir: socketDirFor(root, port),
    port,
  };
}

/** `<data>/pg-socket`, or `/tmp/sinas-pg-<hash of the data dir>` when that path is too long. */
export function socketDirFor(root: string, port: number): string {
  const inData = path.join(root, 'pg-socket');
  if (Buffer.byteLength(socketPath(inData, port)) <= MAX_SOCKET_PATH) return inData;
  const hash = createHash('sha256').update(root).digest('hex').slice(0, 16);
  return path.join('/tmp', `sinas-pg-${hash}`);
}

export function socketPath(dir: string, port: number): string {
  return path.join(dir, `.s.PGSQL.${port}`);
}

/** A connection URL over the unix socket in `socketDir`. */
export function socketUrl(
  user: string,
  password: string,
  database: string,
  socketDir: string,
  port: number,
): string {
  const u = new URL(`postgres://localhost:${port}/${database}`);
  u.username = user;
  u.password = password;
  u.searchParams.set('host', socketDir);
  return u.toString();
}
