/**
 * How a replayed turn is compared with its recording: a word diff of the answers (an LCS, with a
 * whole replace past a size where that would cost too much), and the tool calls added, dropped or
 * changed (matched by name and key-sorted arguments; same name with other arguments is a change).
 */
import type { CallSummary, DiffPart, TurnReport } from './whatif-events.js';

/** past this many words on both sides multiplied, the diff is one removal and one insertion */
const LCS_LIMIT = 4_000_000;

export function textDiff(a: string | null, b: string | null): DiffPart[] {
  if (a === b) return a ? [{ op: '=', text: a }] : [];
  const x = tokens(a ?? '');
  const y = tokens(b ?? '');
  if (x.length * y.length > LCS_LIMIT) return merged([...x.map(del), ...y.map(ins)]);
  const table = lcsTable(x, y);
  const out: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      out.push({ op: '=', text: x[i++]! });
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) out.push(del(x[i++]!));
    else out.push(ins(y[j++]!));
  }
  while (i < x.length) out.push(del(x[i++]!));
  while (j < y.length) out.push(ins(y[j++]!));
  return merged(out);
}

const del = (text: string): DiffPart => ({ op: '-', text });
const ins = (text: string): DiffPart => ({ op: '+', text });

/** words with the whitespace after them, so the parts joined give the text back */
const tokens = (s: string) => s.match(/\S+\s*|\s+/g) ?? [];

/** table[i][j]: the longest common subsequence of x from i and y from j */
function lcsTable(x: readonly string[], y: readonly string[]): number[][] {
  const t = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      t[i]![j] = x[i] === y[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  return t;
}

function merged(parts: readonly DiffPart[]): DiffPart[] {
  const out: DiffPart[] = [];
  for (const p of parts) {
    const last = out.at(-1);
    if (last && last.op === p.op) out[out.length - 1] = { op: p.op, text: last.text + p.text };
    else out.push(p);
  }
  return out;
}

/** The candidate's calls against the recorded ones, each call counted as often as it was made. */
export function callChanges(
  recorded: readonly CallSummary[],
  candidate: readonly CallSummary[],
): TurnReport['tool_calls'] {
  const left = [...recorded];
  const added: CallSummary[] = [];
  for (const c of candidate) {
    const i = left.findIndex((r) => r.name === c.name && r.arguments === c.arguments);
    if (i >= 0) left.splice(i, 1);
    else added.push({ name: c.name, arguments: c.arguments });
  }
  const changed: { name: string; from: string; to: string }[] = [];
  const stillAdded: CallSummary[] = [];
  for (const a of added) {
    const i = left.findIndex((r) => r.name === a.name);
    if (i < 0) stillAdded.push(a);
    else changed.push({ name: a.name, from: left.splice(i, 1)[0]!.arguments, to: a.arguments });
  }
  return { added: stillAdded, dropped: left.map((r) => ({ name: r.name, arguments: r.arguments })), changed };
}
