/**
 * `sinas what-if <ns>/<name> -f request.json`: starts a what-if run over the API (SINAS_URL,
 * SINAS_API_KEY), follows it to its end, and prints each turn that differs with its word diff and
 * a summary line. Exits 0 when the run completed, 1 when it was refused or failed, 2 on usage.
 */
import { readFile } from 'node:fs/promises';
import type { CliIo } from './config.js';

export const WHATIF_USAGE = 'usage: sinas what-if <namespace>/<name> -f request.json';

interface Turn {
  chat_id: string;
  index: number;
  differs: boolean;
  diff: { op: '=' | '-' | '+'; text: string }[];
  tool_calls: { added: unknown[]; dropped: unknown[]; changed: unknown[] };
}

export async function whatIfCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [agent, flag, file] = argv;
  if (!agent || !/^[^/]+\/[^/]+$/.test(agent) || (flag !== '-f' && flag !== '--file') || !file) {
    io.err(WHATIF_USAGE);
    return 2;
  }
  const base = `${io.url.replace(/\/$/, '')}/api/v1/agents/${agent}/what-if`;
  const headers: Record<string, string> = io.apiKey ? { 'x-api-key': io.apiKey } : {};
  const f = io.fetch ?? fetch;
  const started = await f(base, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: await readFile(file, 'utf8'),
  });
  if (!started.ok) return refused(io, started.status, await started.text());
  const runId = ((await started.json()) as { run_id: string }).run_id;
  io.out(`what-if run ${runId} started`);
  // the stream ends with the run
  await (await f(`${base}/${runId}/stream`, { headers })).text();
  const res = await f(`${base}/${runId}`, { headers });
  if (!res.ok) return refused(io, res.status, await res.text());
  const run = (await res.json()) as {
    status: string;
    done: number;
    differences: number;
    error: string | null;
    report: Turn[];
  };
  for (const t of run.report.filter((r) => r.differs)) {
    const calls = t.tool_calls;
    io.out(`chat ${t.chat_id} turn ${t.index}: ${t.diff.map(shown).join('')}`);
    if (calls.added.length + calls.dropped.length + calls.changed.length > 0)
      io.out(`  tool calls: ${JSON.stringify(calls)}`);
  }
  io.out(
    `${run.status}: ${run.done} turns replayed, ${run.differences} differ${run.error ? ` (${run.error})` : ''}`,
  );
  return run.status === 'completed' ? 0 : 1;
}

const shown = (p: Turn['diff'][number]) =>
  p.op === '=' ? p.text : p.op === '-' ? `[-${p.text}-]` : `{+${p.text}+}`;

function refused(io: CliIo, status: number, body: string): number {
  io.err(`what-if refused (${status}): ${body}`);
  return 1;
}
