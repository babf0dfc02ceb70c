/**
 * `node bin/sinas.js <args>` for tests, run without blocking this process: the test process also
 * serves the platform under test, and a blocked event loop lets the server's keep-alive sockets go
 * stale, so the next request meets a reset (seen in full runs on a busy machine).
 */
import { execFile } from 'node:child_process';

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function sinasCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/sinas.js', ...args], { env, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
