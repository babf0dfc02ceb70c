import { spawnSync } from 'node:child_process';
import { createFunctionRunner } from '../../src/runtime/functions/runners/index.js';
import { skipLoudly } from '../support/skip.js';
import { runnerContract } from './runner.contract.js';

const hasBwrap = spawnSync('sh', ['-c', 'command -v bwrap'], { stdio: 'ignore' }).status === 0;

describe('FunctionRunner contract: bubblewrap sandbox', function () {
  before(function () {
    if (!hasBwrap) skipLoudly(this, 'bubblewrap', 'bwrap is not installed');
  });
  runnerContract(() => createFunctionRunner({ sandbox: 'bubblewrap', pool: { min: 1, max: 4 } }), {
    isolatesNetwork: true,
  });
});
