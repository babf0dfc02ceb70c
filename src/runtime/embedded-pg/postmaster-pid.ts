/**
 * `postmaster.pid`, the file a running Postgres keeps in its cluster directory: which pid serves it,
 * on which port and socket directory, and whether it is ready. Both leftover detection and the CLI
 * (finding a running server through the data dir) read it here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commandLine, pidAlive } from '../processes.js';

export interface PostmasterPid {
  readonly pid: number;
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  readonly listen: string;
  /** `starting`, `ready`, `stopping`, `standby` (Postgres 10+) */
  readonly status: string;
}

export function readPostmasterPid(cluster: string): PostmasterPid | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined; // no server, or it stopped cleanly
  }
  const l = text.split('\n');
  const pid = Number(l[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    dataDir: l[1] ?? '',
    port: Number(l[3]),
    socketDir: (l[4] ?? '').split(',')[0]!.trim(),
    listen: (l[5] ?? '').trim(),
    status: (l[7] ?? '').trim(),
  };
}

/**
 * Is `pid` a live postmaster of `cluster`? Where /proc tells, its command line must be a postgres
 * binary given `-D <cluster>`; elsewhere being alive has to do.
 */
export function servesCluster(pid: number, cluster: string): boolean {
  if (!pidAlive(pid)) return false;
  const argv = commandLine(pid);
  if (argv === undefined) return true;
  const d = argv.indexOf('-D');
  return path.basename(argv[0] ?? '') === 'postgres' && d >= 0 && path.resolve(argv[d + 1] ?? '') === cluster;
}
