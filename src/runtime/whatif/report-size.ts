/**
 * How big a what-if run's events may get. Each turn's report keeps at most TEXT_LIMIT characters
 * of each text (the user message, both answers, each call's arguments) and 2 × TEXT_LIMIT of diff,
 * a cut marked at its end (the comparison was made on the whole texts first; the recorded side is
 * whole in the chat itself); and a chat's reports are recorded in as many WhatIfChatReplayed
 * events as keep each under EVENT_BUDGET bytes, all but the last marked `more`.
 */
import type { CallSummary, DiffPart, TurnReport } from './whatif-events.js';

/** characters of one text kept in a report */
export const TEXT_LIMIT = 16 * 1024;
/** bytes of JSON one WhatIfChatReplayed aims to stay under (one turn's capped report always fits) */
export const EVENT_BUDGET = 256 * 1024;

const marker = (n: number) => `\n[… ${n} more characters cut from this report]`;

export function cut(text: string, limit = TEXT_LIMIT): string {
  return text.length <= limit ? text : text.slice(0, limit) + marker(text.length - limit);
}

const cutOrNull = (text: string | null) => (text === null ? null : cut(text));

function cutCalls<C extends CallSummary>(calls: readonly C[]): C[] {
  return calls.map((c) => ({ ...c, arguments: cut(c.arguments) }));
}

function cutDiff(parts: readonly DiffPart[]): DiffPart[] {
  let left = 2 * TEXT_LIMIT;
  const out: DiffPart[] = [];
  for (const p of parts) {
    if (left <= 0) break;
    out.push({ op: p.op, text: p.text.length <= left ? p.text : cut(p.text, left) });
    left -= p.text.length;
  }
  return out;
}

/** The report as recorded: every text within its limit. */
export function capped(r: TurnReport): TurnReport {
  const changes = r.tool_calls;
  return {
    ...r,
    user: cut(r.user),
    original: {
      ...r.original,
      answer: cutOrNull(r.original.answer),
      tool_calls: cutCalls(r.original.tool_calls),
    },
    candidate: {
      ...r.candidate,
      answer: cutOrNull(r.candidate.answer),
      tool_calls: cutCalls(r.candidate.tool_calls),
    },
    diff: cutDiff(r.diff),
    tool_calls: {
      added: cutCalls(changes.added),
      dropped: cutCalls(changes.dropped),
      changed: changes.changed.map((c) => ({ ...c, from: cut(c.from), to: cut(c.to) })),
    },
  };
}

/** The reports in runs of consecutive turns, each run's JSON under EVENT_BUDGET (at least one turn). */
export function packed(reports: readonly TurnReport[]): TurnReport[][] {
  const out: TurnReport[][] = [];
  let current: TurnReport[] = [];
  let size = 0;
  for (const r of reports) {
    const bytes = Buffer.byteLength(JSON.stringify(r));
    if (current.length > 0 && size + bytes > EVENT_BUDGET) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += bytes;
  }
  if (current.length > 0 || out.length === 0) out.push(current);
  return out;
}
