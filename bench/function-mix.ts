/**
 * The pool under a realistic mix for `function_pool`: 5 users × 3 functions, each run a random
 * (user, function) pair, so each pair is its own isolation key (no worker crosses a user or a function
 * version). The runner keeps its default pool sizes: the question is whether they keep it hitting.
 */
import { isolationKey, type FunctionRunner } from '../src/runtime/functions/function-runner.js';
import type { PoolStats } from '../src/runtime/functions/runners/warm-pool.js';
import { request } from '../test/int/runner.contract.js';
import { closedLoop } from './load.js';
import { round } from './stats.js';

export const MIX = { users: 5, functions: 3, clients: 2, warmupMs: 5000, durationMs: 10_000 };

const code = (f: number) =>
  `def handler(input_data, context):\n    return {"function": ${f}, "n": input_data}`;

async function runOne(runner: FunctionRunner): Promise<void> {
  const user = `user-${Math.floor(Math.random() * MIX.users)}`;
  const f = Math.floor(Math.random() * MIX.functions);
  const key = isolationKey({ userId: user, namespace: 'bench', name: `fn-${f}`, version: 1 });
  const r = request(code(f), { input: 1, isolationKey: key });
  const o = await runner.run({ ...r, context: { ...r.context, user_id: user } });
  if (o.kind !== 'completed') throw new Error(`mixed run: ${JSON.stringify(o)}`);
}

/** Hits ÷ acquires over a closed loop of the mix, after a warm-up of the same mix. */
export async function mixedHitRatio(runner: FunctionRunner) {
  const stats = () => runner.health().detail.pool as PoolStats;
  await closedLoop(MIX.clients, MIX.warmupMs, () => runOne(runner));
  const before = stats();
  const perS = await closedLoop(MIX.clients, MIX.durationMs, () => runOne(runner));
  const after = stats();
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  return {
    mixed_users: MIX.users,
    mixed_functions: MIX.functions,
    mixed_hit_ratio: round(hits / Math.max(1, hits + misses), 4),
    mixed_clients: MIX.clients,
    mixed_per_s: round(perS, 0),
    mixed_hits: hits,
    mixed_misses: misses,
    mixed_evicted: after.evicted - before.evicted,
    mixed_pool_size: after.size,
  };
}
