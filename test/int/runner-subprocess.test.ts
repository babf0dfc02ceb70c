import { createFunctionRunner } from '../../src/runtime/functions/runners/index.js';
import { runnerContract } from './runner.contract.js';

/** The last resort when neither Docker nor bubblewrap can sandbox: a plain process under rlimits and a fresh uid. */
describe('FunctionRunner contract: plain subprocess (no namespaces)', function () {
  runnerContract(() => createFunctionRunner({ sandbox: 'subprocess', pool: { min: 1, max: 4 } }), {
    isolatesNetwork: false,
  });
});
