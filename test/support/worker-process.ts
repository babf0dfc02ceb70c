/** A worker process of the platform (or a test's own entry) on a test database, for crash tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_ENCRYPTION_KEY } from './platform.js';

export function spawnWorker(
  databaseUrl: string,
  options: { readonly entry?: string; readonly env?: Readonly<Record<string, string>> } = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', options.entry ?? 'src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SINAS_ROLE: 'worker',
      LOG_LEVEL: 'warn',
      SINAS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
