/**
 * `subagent_overhead`: what a sub-agent round trip adds over the turns it is made of. A sample is
 * one POST /chats/{id}/messages whose message makes the parent call a sub-agent (the development
 * model: `call call_agent_bench__sub {…}`): the parent's turn asks for the call, the call creates a
 * sub-chat and posts the prompt there, the parent's job ends, the sub-turn replies, its end wakes the
 * parent, whose turn replies with the result. The baseline is the same two turns without the
 * sub-agent, posted one after the other on fresh chats: one whose reply asks for an inline tool
 * (`retrieve_tool_result`, answered at once) and replies again with its result, as the parent does,
 * then a plain one, as the sub-agent's. Samples are interleaved, each on fresh chats created untimed.
 * added = round trip − two turns: the sub-chat, its message, the parent's job ending and its wake.
 */
import { performance } from 'node:perf_hooks';
import { emit, log } from './io.js';
import { ADMIN_KEY, createChat, startBenchPlatform, type BenchPlatform } from './platform.js';
import { interleaved, percentile, round } from './stats.js';

const SAMPLES = Number(process.env.BENCH_SUBAGENT_SAMPLES ?? 200);
const WARMUP = Number(process.env.BENCH_SUBAGENT_WARMUP ?? 20);
const CALL = 'call call_agent_bench__sub {"prompt": "hello from the parent"}';
/** a tool every agent is offered, answered inline at once (here: no such result) */
const INLINE_CALL = 'call retrieve_tool_result {"tool_call_id": "none"}';

async function post(p: BenchPlatform, chatId: string, content: string): Promise<string> {
  const res = await fetch(`${p.url}/chats/${chatId}/messages`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST message: ${res.status} ${text}`);
  return (JSON.parse(text) as { content: string }).content;
}

/** One sub-agent round trip, from the POST to the parent's reply; ms. */
async function roundTrip(p: BenchPlatform): Promise<number> {
  const chatId = await createChat(p, 'boss');
  const t0 = performance.now();
  const reply = await post(p, chatId, CALL);
  const took = performance.now() - t0;
  if (!reply.includes('call_agent_bench__sub returned')) throw new Error(`no sub-agent result: ${reply}`);
  return took;
}

/** The same turns without the sub-agent: one with an inline tool round, then a plain one (fresh chats); ms. */
async function twoTurns(p: BenchPlatform): Promise<number> {
  const [a, b] = [await createChat(p, 'sub'), await createChat(p, 'sub')];
  const t0 = performance.now();
  const reply = await post(p, a, INLINE_CALL);
  await post(p, b, 'hello from the parent');
  const took = performance.now() - t0;
  if (!reply.includes('retrieve_tool_result returned')) throw new Error(`no tool result: ${reply}`);
  return took;
}

const ms = (values: readonly number[], q: number) => round(percentile(values, q), 2);

export async function runSubagentOverhead(): Promise<void> {
  const p = await startBenchPlatform();
  try {
    await p.json('/api/v1/agents', { method: 'POST', json: { namespace: 'bench', name: 'sub' } });
    await p.json('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'bench', name: 'boss', enabled_agents: ['bench/sub'] },
    });
    log(`subagent_overhead: warm-up ${WARMUP} + ${SAMPLES} interleaved samples each`);
    const { a: trips, b: pairs } = await interleaved(
      () => roundTrip(p),
      () => twoTurns(p),
      WARMUP,
      SAMPLES,
    );
    const added = trips.map((t, i) => t - pairs[i]!);
    emit({
      bench: 'subagent_overhead',
      round_trip_p50_ms: ms(trips, 50),
      round_trip_p99_ms: ms(trips, 99),
      two_turns_p50_ms: ms(pairs, 50),
      two_turns_p99_ms: ms(pairs, 99),
      added_p50_ms: round(percentile(trips, 50) - percentile(pairs, 50), 2),
      added_p99_ms: round(percentile(trips, 99) - percentile(pairs, 99), 2),
      pair_added_p50_ms: ms(added, 50),
      pair_added_p99_ms: ms(added, 99),
      samples: SAMPLES,
      notes:
        'in-process platform (api+worker, Postgres event store, in-process queue) and the development model; ' +
        'round trip = POST whose parent turn calls a sub-agent, until its reply; two_turns = a POST whose turn calls ' +
        'an inline tool (retrieve_tool_result) then a plain POST; added_* = round trip − two turns percentiles; ' +
        'pair_added_* = per interleaved pair',
      target: 'added_p50_ms <= 20',
    });
  } finally {
    await p.stop();
  }
}
