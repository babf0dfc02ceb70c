/**
 * Runs ONE benchmark in this process against the Postgres server at BENCH_DATABASE_URL. bench/run.ts
 * starts a fresh process per benchmark, so module state (say, a library's global pg type parsers)
 * never carries from one benchmark to the next.
 */
import { BENCHES, benchName } from './benches.js';
import { emit, errorMessage, log, quietConsole } from './io.js';

quietConsole();
const name = benchName(process.argv[2] ?? '');
const load = BENCHES[name];
let code = 0;
if (!load) {
  log(`unknown benchmark '${name}'; known: ${Object.keys(BENCHES).join(', ')}`);
  code = 2;
} else {
  try {
    await (
      await load()
    )();
  } catch (err) {
    log(`${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
    emit({ bench: name, skipped: `failed: ${errorMessage(err)}` });
  }
}
process.exit(code);
