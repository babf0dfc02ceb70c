/**
 * The cluster on disk, before its server starts: created by initdb with a generated superuser
 * password; given a fresh superuser password (in single-user mode, no server and no old password
 * needed) when its password file is missing — a data dir made by the old code (superuser password
 * `postgres`), or a lost file; and its pg_hba.conf rewritten at every start to password logins
 * over the socket only (plus loopback TCP when asked for).
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../startup-error.js';
import type { Binaries } from './binaries.js';
import { SUPERUSER, type Layout } from './layout.js';
import { newPassword, readPassword, scramVerifier } from './passwords.js';
import { asServer, ensurePrivateDir, type ServerUser } from './server-user.js';

const ENV = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LC_MESSAGES: 'C' });

export function clusterExists(layout: Layout): boolean {
  return existsSync(path.join(layout.cluster, 'PG_VERSION'));
}

/** initdb with a generated superuser password; returns it. */
export async function initCluster(bin: Binaries, layout: Layout, user: ServerUser): Promise<string> {
  ensurePrivateDir(layout.cluster, user);
  const pending = newPassword(layout.superuserPasswordFile);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sinas-initdb-'));
  const pwfile = path.join(tmp, 'pw');
  try {
    writeFileSync(pwfile, `${pending.password}\n`, { mode: 0o600 });
    if (user.uid !== undefined) {
      chownSync(tmp, user.uid, user.gid!);
      chownSync(pwfile, user.uid, user.gid!);
    }
    const r = await run(
      bin.initdb,
      [
        `--pgdata=${layout.cluster}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
      ],
      user,
      layout,
    );
    if (r.code !== 0)
      throw new StartupError(
        `initdb could not create the embedded database in ${layout.cluster}`,
        `read initdb's output below; if ${layout.cluster} holds a half-made cluster (no PG_VERSION), remove it and start again`,
        r.output,
      );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pending.commit();
  return pending.password;
}

/** The superuser's password: from its file, or set afresh in single-user mode when there is none. */
export async function superuserPassword(bin: Binaries, layout: Layout, user: ServerUser): Promise<string> {
  const known = readPassword(layout.superuserPasswordFile);
  if (known) return known;
  const pending = newPassword(layout.superuserPasswordFile);
  const sql = `ALTER ROLE ${SUPERUSER} PASSWORD '${scramVerifier(pending.password)}';\n`;
  const r = await run(bin.postgres, ['--single', '-D', layout.cluster, 'postgres'], user, layout, sql);
  if (r.code !== 0 || /\b(ERROR|FATAL|PANIC):/.test(r.output))
    throw new StartupError(
      `could not set a new superuser password in the embedded database (${layout.cluster})`,
      'read the output below; the cluster must not be in use by another server',
      r.output,
    );
  pending.commit();
  return pending.password;
}

/** Password logins only; over the socket, and over loopback TCP only when it is asked for. */
export function writeHba(layout: Layout, tcp: boolean): void {
  const lines = [
    '# written by Sinas at every start (src/runtime/embedded-pg/cluster.ts): edits are replaced',
    'local   all   all                 scram-sha-256',
    ...(tcp
      ? ['host    all   all   127.0.0.1/32  scram-sha-256', 'host    all   all   ::1/128       scram-sha-256']
      : []),
  ];
  writeFileSync(path.join(layout.cluster, 'pg_hba.conf'), `${lines.join('\n')}\n`);
}

async function run(
  file: string,
  args: string[],
  user: ServerUser,
  layout: Layout,
  input?: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(file, args, {
    ...asServer(user),
    cwd: layout.cluster, // the server's user may not enter ours
    env: ENV(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  child.stdin.end(input ?? '');
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      output += err.message;
      resolve(-1);
    });
    child.once('close', resolve);
  });
  return { code, output: output.trim() };
}
