/**
 * A worker process (SINAS_ROLE=worker) whose component compiler stands in for a dying one, for
 * crash tests. A compile that hangs waits until the process is killed, after writing the source it
 * began to TEST_COMPILE_MARK (so a test knows it began): every compile with TEST_COMPILER=hang,
 * else a source containing `HANG_COMPILER`. A source containing `CRASH_COMPILER` makes the compiler
 * throw (as a stopped esbuild service does); any other compiles for real.
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/runtime/config.js';
import { createLogger } from '../../src/runtime/log.js';
import { Platform } from '../../src/runtime/platform.js';
import { compileComponent, type CompileOutcome } from '../../src/runtime/components/compiler.js';

const compiler = (source: string): Promise<CompileOutcome> => {
  if (process.env.TEST_COMPILER === 'hang' || source.includes('HANG_COMPILER')) {
    writeFileSync(process.env.TEST_COMPILE_MARK!, source);
    return new Promise(() => {}); // until this process is killed
  }
  if (source.includes('CRASH_COMPILER')) return Promise.reject(new Error('the esbuild service stopped'));
  return compileComponent(source);
};
await Platform.start(loadConfig(), createLogger(process.env.LOG_LEVEL ?? 'warn'), { compiler });
