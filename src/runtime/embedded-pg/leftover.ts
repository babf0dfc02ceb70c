/**
 * A Postgres still running on our data dir when we start (its owner was SIGKILLed, OOM-killed, or
 * was an older version without the watchdog) is stopped safely before ours starts: only a live
 * process that really is a postmaster of this cluster, via pg_ctl (fast shutdown, then immediate).
 * A `postmaster.pid` naming a dead or unrelated process is stale and removed. Callers hold the
 * instance lock, so no live Sinas process owns what is found here.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describeProcess } from '../processes.js';
import { StartupError } from '../startup-error.js';
import type { Binaries } from './binaries.js';
import { socketPath, type Layout } from './layout.js';
import { readPostmasterPid, servesCluster } from './postmaster-pid.js';
import { asServer, type ServerUser } from './server-user.js';

export async function clearLeftover(
  bin: Binaries,
  layout: Layout,
  user: ServerUser,
  log: (msg: string) => void,
): Promise<void> {
  const found = readPostmasterPid(layout.cluster);
  if (found && servesCluster(found.pid, layout.cluster)) {
    log(
      `a Postgres of this data dir was still running (${describeProcess(found.pid)}, ${found.status || 'no status'}), ` +
        `left by a process that ended without stopping it: stopping it`,
    );
    const fast = await pgCtlStop(bin, layout, user, 'fast');
    if (!fast.ok) {
      const immediate = await pgCtlStop(bin, layout, user, 'immediate');
      if (!immediate.ok)
        throw new StartupError(
          `a Postgres left running on the data directory (${describeProcess(found.pid)}) could not be stopped`,
          `stop it yourself (as the '${user.name}' user: ${bin.pg_ctl} stop -D ${layout.cluster} -m fast), then start again`,
          `${fast.output}\n${immediate.output}`.trim(),
        );
    }
    return;
  }
  // nothing of this cluster runs: a pid file or socket lock from a crash names a dead or reused pid
  if (found) rmSync(path.join(layout.cluster, 'postmaster.pid'), { force: true });
  for (const f of [
    socketPath(layout.socketDir, layout.port),
    `${socketPath(layout.socketDir, layout.port)}.lock`,
  ])
    rmSync(f, { force: true });
}

async function pgCtlStop(
  bin: Binaries,
  layout: Layout,
  user: ServerUser,
  mode: 'fast' | 'immediate',
): Promise<{ ok: boolean; output: string }> {
  const child = spawn(bin.pg_ctl, ['stop', '-D', layout.cluster, '-m', mode, '-w', '-t', '60'], {
    ...asServer(user),
    cwd: layout.cluster,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('close', resolve);
  });
  return { ok: code === 0 || readPostmasterPid(layout.cluster) === undefined, output: output.trim() };
}
