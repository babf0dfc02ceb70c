import { createFunctionRunner } from '../../src/runtime/functions/runners/index.js';
import { runnerContract } from './runner.contract.js';

/** The explicit opt-in `unsafe-subprocess`: a plain process under rlimits and a fresh uid, no namespaces. */
describe('FunctionRunner contract: plain subprocess (unsafe-subprocess, no namespaces)', function () {
  runnerContract(
    () =>
      createFunctionRunner({
        sandbox: 'unsafe-subprocess',
        pool: { min: 1, max: 4 },
        logger: { warn: () => {} }, // the loud warning is runner-factory.test.ts's business
      }),
    { isolatesNetwork: false },
  );
});
