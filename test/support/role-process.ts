/**
 * One platform process in a role (`api` or `worker`) on a database the test made, as a deployment
 * of several processes runs them: the admin key and encryption key the test platform uses, loopback
 * only, its stderr shown (stdout too with CHILD_STDOUT set).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ADMIN_KEY, TEST_ENCRYPTION_KEY } from './platform.js';

export function startProcess(role: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      SINAS_ROLE: role,
      LOG_LEVEL: 'warn',
      SINAS_ADMIN_API_KEY: ADMIN_KEY,
      SINAS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', process.env.CHILD_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
}
