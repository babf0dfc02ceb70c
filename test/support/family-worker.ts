/**
 * A worker process (SINAS_ROLE=worker) with the test family (test-family.ts) wired into its turns,
 * for crash tests: `TEST_FAMILY_MODE=block` makes every call wait until the process is killed;
 * `answer` answers `{ran_by: 'answering worker'}`. `test_safe` may run again after a crash,
 * `test_effect` may not.
 */
import { loadConfig } from '../../src/runtime/config.js';
import { createLogger } from '../../src/runtime/log.js';
import { Platform } from '../../src/runtime/platform.js';
import type { ToolOutcome } from '../../src/runtime/turns/tool-family.js';
import { TestFamily } from './test-family.js';

const block = process.env.TEST_FAMILY_MODE === 'block';
const run = (): Promise<ToolOutcome> =>
  block
    ? new Promise(() => {}) // until this process is killed
    : Promise.resolve({ status: 'ok', result: { ran_by: 'answering worker' } });
const family = new TestFamily([
  { name: 'test_safe', rerunnable: true, run },
  { name: 'test_effect', rerunnable: false, run },
]);
await Platform.start(loadConfig(), createLogger(process.env.LOG_LEVEL ?? 'warn'), { families: [family] });
