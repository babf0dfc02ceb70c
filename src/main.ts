/** `npm start`: one process in the role SINAS_ROLE says (default: api and worker together). */
import { loadConfig } from './runtime/config.js';
import { createLogger } from './runtime/log.js';
import { Platform } from './runtime/platform.js';
import { describeStartFailure } from './runtime/startup-error.js';

const log = createLogger(process.env.LOG_LEVEL ?? 'info');

let config;
try {
  config = loadConfig();
} catch (err) {
  process.stderr.write(`configuration error: ${(err as Error).message}\n`);
  process.exit(2);
}

const platform = await Platform.start(config, log).catch((err: unknown) => {
  log.fatal({ err }, 'start failed');
  process.stderr.write(`\n${describeStartFailure(err)}\n`);
  process.exit(1);
});
log.info(
  { role: config.role, env: config.env, database: config.databaseUrl ? 'postgres' : 'embedded-postgres' },
  'Sinas started',
);

let signals = 0;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (++signals > 1) process.exit(130);
    log.info({ signal: sig }, 'shutting down');
    platform.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
