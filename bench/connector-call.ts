/**
 * `connector_call`: what the connector tool family adds to one HTTP call. A GET with a path
 * argument and bearer auth (a shared secret) to a local HTTP server, run through the family as a
 * turn would (connector from the stream cache, the secret opened, the outbound guard, the size cap,
 * the result built), against the same request made directly with `node:http` (same URL and
 * headers, body read and parsed). Interleaved samples; added = family − direct, per pair.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { asChatId } from '../src/events/ids.js';
import { connectorToolFamily } from '../src/runtime/connectors/connector-runtime.js';
import type { ToolChat } from '../src/runtime/turns/tool-family.js';
import { startHttpPeer } from '../test/support/http-peer.js';
import { emit, log } from './io.js';
import { startBenchPlatform } from './platform.js';
import { interleaved, median, percentile, round } from './stats.js';

const SAMPLES = Number(process.env.BENCH_CONNECTOR_SAMPLES ?? 1000);
const WARMUP = Number(process.env.BENCH_CONNECTOR_WARMUP ?? 100);
const SECRET = 'bench-token-value';

export async function runConnectorCall(): Promise<void> {
  const peer = await startHttpPeer();
  const p = await startBenchPlatform({ SINAS_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  try {
    await p.json('/api/v1/secrets', { method: 'POST', json: { name: 'BENCH_TOKEN', value: SECRET } });
    await p.json('/api/v1/connectors', {
      method: 'POST',
      json: {
        namespace: 'bench',
        name: 'api',
        base_url: peer.url,
        auth: { type: 'bearer', secret: 'BENCH_TOKEN' },
        operations: [
          {
            name: 'get_item',
            method: 'GET',
            path: '/items/{{ id }}',
            request_body_mapping: 'path_and_query',
          },
        ],
      },
    });
    const family = connectorToolFamily(p.platform.services);
    const chat: ToolChat = {
      chatId: asChatId('00000000-0000-4000-8000-00000000bench'),
      userId: 'bench-user',
      input: {},
      agent: { namespace: 'bench', name: 'agent' },
      agentSpec: { enabled_connectors: [{ connector: 'bench/api' }] },
    };
    const [tool] = await family.offer(chat);
    if (!tool) throw new Error('the connector was not offered');
    const signal = new AbortController().signal;
    const viaFamily = async () => {
      const t0 = performance.now();
      const out = await family.run(
        { toolCallId: 'b', target: tool.target, arguments: { id: 42, q: 'x' }, signal },
        chat,
      );
      if (out.status !== 'ok') throw new Error(`family call failed: ${JSON.stringify(out.result)}`);
      return performance.now() - t0;
    };
    const direct = () => {
      const t0 = performance.now();
      return new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${peer.url}/items/42?q=x`,
          { headers: { authorization: `Bearer ${SECRET}` } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              JSON.parse(Buffer.concat(chunks).toString('utf8'));
              resolve(performance.now() - t0);
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    };
    log(`connector_call: ${WARMUP} warm-up and ${SAMPLES} interleaved samples`);
    const { a, b } = await interleaved(viaFamily, direct, WARMUP, SAMPLES);
    const added = a.map((x, i) => x - b[i]!);
    emit({
      bench: 'connector_call',
      samples: SAMPLES,
      added_p50_ms: round(median(added), 3),
      added_p99_ms: round(percentile(added, 99), 3),
      family_p50_ms: round(median(a), 3),
      family_p99_ms: round(percentile(a, 99), 3),
      direct_p50_ms: round(median(b), 3),
      direct_p99_ms: round(percentile(b, 99), 3),
      targets: { added_p50_ms: 2, added_p99_ms: 10 },
    });
  } finally {
    await p.stop();
    await peer.stop();
  }
}
