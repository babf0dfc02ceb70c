/**
 * One process at a time owns a data dir's embedded database: `sinas.lock` names the owner (pid and,
 * where /proc tells, its start time, so a reused pid is not mistaken for it). A lock whose owner is
 * gone is stale and taken over: that is how a start after a crash knows that a Postgres still
 * running on the data dir is a leftover to stop, not another live instance's database.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { describeProcess, pidAlive, startTime } from '../processes.js';
import { StartupError } from '../startup-error.js';

interface Owner {
  readonly pid: number;
  readonly started?: string;
}

export interface InstanceLock {
  release(): void;
}

export function acquireInstanceLock(file: string, dataDir: string): InstanceLock {
  const me: Owner = { pid: process.pid, started: startTime(process.pid) };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(file);
      if (owner && isAlive(owner)) throw inUse(owner, dataDir);
      rmSync(file, { force: true }); // stale: its owner died without releasing it
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return {
      release: () => {
        if (readOwner(file)?.pid === me.pid) rmSync(file, { force: true });
      },
    };
  }
  throw new StartupError(
    `could not take the lock ${file}: other processes keep taking it`,
    'start one Sinas process per data directory',
  );
}

/** The live owner of the data dir's lock, if any. */
export function liveOwner(file: string): Owner | undefined {
  const owner = readOwner(file);
  return owner && isAlive(owner) ? owner : undefined;
}

function readOwner(file: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' ? { pid: o.pid, started: o.started } : undefined;
  } catch {
    return undefined; // missing, or cut short by a crash while written: stale either way
  }
}

function isAlive(o: Owner): boolean {
  if (o.pid === process.pid || !pidAlive(o.pid)) return false;
  const now = startTime(o.pid);
  return o.started === undefined || now === undefined || now === o.started;
}

function inUse(owner: Owner, dataDir: string): StartupError {
  return new StartupError(
    `the data directory ${dataDir} is in use by another Sinas process, ${describeProcess(owner.pid)}`,
    `stop that process first, or give this one a data directory of its own (SINAS_DATA_DIR=…); ` +
      `the CLI (npx sinas …) connects to the running one by itself`,
  );
}
