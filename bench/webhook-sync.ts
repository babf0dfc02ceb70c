/**
 * `webhook_sync`: what a sync inbound webhook adds to running its function. The same function run
 * through `POST /webhooks/bench/hook` (no auth: it runs as the owner; no dedup) and through
 * `POST /functions/bench/fn/execute` with the admin key, both over HTTP against one platform with
 * its real function runner. Interleaved samples, half of the pairs in each order; added = webhook − direct, per pair.
 */
import { performance } from 'node:perf_hooks';
import { emit, log } from './io.js';
import { ADMIN_KEY, startBenchPlatform } from './platform.js';
import { interleaved, median, percentile, round } from './stats.js';

const SAMPLES = Number(process.env.BENCH_WEBHOOK_SAMPLES ?? 300);
const WARMUP = Number(process.env.BENCH_WEBHOOK_WARMUP ?? 30);
const CODE = 'def handler(input_data, context):\n    return {"n": input_data.get("n")}\n';

export async function runWebhookSync(): Promise<void> {
  // a rate far above what the bench sends: it measures the counter's cost, never its refusal
  const p = await startBenchPlatform({ SINAS_INBOUND_WEBHOOK_RATE_PER_MINUTE: '1000000' });
  try {
    await p.json('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'bench', name: 'fn', code: CODE },
    });
    await p.json('/api/v1/webhooks', {
      method: 'POST',
      json: { path: 'bench/hook', function_namespace: 'bench', function_name: 'fn', requires_auth: false },
    });
    const timed = (path: string, headers: Record<string, string>, body: unknown) => async () => {
      const t0 = performance.now();
      const res = await fetch(`${p.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const out = (await res.json()) as { result?: { n?: number } };
      if (res.status !== 200 || out.result?.n !== 1)
        throw new Error(`${path}: ${res.status} ${JSON.stringify(out)}`);
      return performance.now() - t0;
    };
    const viaWebhook = timed('/webhooks/bench/hook', {}, { n: 1 });
    const direct = timed('/functions/bench/fn/execute', { 'x-api-key': ADMIN_KEY }, { input: { n: 1 } });
    log(`webhook_sync: ${WARMUP} warm-up and ${SAMPLES} interleaved samples`);
    // half the pairs in each order, so whatever one call leaves behind for the next (the run's
    // trailing appends and projections) falls on both alike
    const first = await interleaved(viaWebhook, direct, WARMUP, SAMPLES / 2);
    const second = await interleaved(direct, viaWebhook, 0, SAMPLES / 2);
    const a = [...first.a, ...second.b];
    const b = [...first.b, ...second.a];
    const added = a.map((x, i) => x - b[i]!);
    emit({
      bench: 'webhook_sync',
      samples: SAMPLES,
      added_p50_ms: round(median(added), 3),
      added_p99_ms: round(percentile(added, 99), 3),
      webhook_p50_ms: round(median(a), 3),
      webhook_p99_ms: round(percentile(a, 99), 3),
      direct_p50_ms: round(median(b), 3),
      direct_p99_ms: round(percentile(b, 99), 3),
      targets: { added_p50_ms: 3 },
    });
  } finally {
    await p.stop();
  }
}
