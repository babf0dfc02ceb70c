/**
 * What a what-if run records (stream `whatif-<run id>`): the request, how many turns it replays,
 * the reports of each replayed chat (its turns' comparisons, in one or more bounded events), and
 * how it ended. The run's progress and report are these events folded; nothing here is ever
 * written to a chat's stream.
 */
import type { ToolCallDetail } from '../../events/chat-events.js';
import { streamName } from '../../events/stream-names.js';

export const whatIfStream = (runId: string) => streamName('whatif', runId);

/** What a tool call the candidate made, absent from the recording, is answered with. */
export type UnrecordedPolicy = 'fail' | 'execute' | { readonly stub: unknown };

export interface CallSummary {
  readonly name: string;
  /** the model's arguments, key-sorted JSON (how calls are matched) */
  readonly arguments: string;
}

export interface CandidateCall extends CallSummary {
  /**
   * recorded: answered from the recording; retrieved: a `retrieve_tool_result` answered from the
   * replayed turn's own history, as a real turn answers it; then the policy's outcomes
   */
  readonly answered: 'recorded' | 'retrieved' | 'not_recorded' | 'stub' | 'executed' | 'refused';
  /** a refused call: why it was not run (what the model was told) */
  readonly reason?: string;
  /** an executed connector, query or other inline call: what it did (as a chat records it), for audit */
  readonly detail?: ToolCallDetail;
}

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export interface DiffPart {
  /** '=': in both, '-': only in the original, '+': only in the candidate */
  readonly op: '=' | '-' | '+';
  readonly text: string;
}

export interface TurnReport {
  readonly chat_id: string;
  readonly turn_id: string;
  /** the turn's place in its chat, from 0 */
  readonly index: number;
  readonly user: string;
  readonly original: {
    readonly answer: string | null;
    readonly tool_calls: readonly CallSummary[];
    readonly usage: Usage;
    readonly model: string | null;
    readonly cost: number | null;
  };
  readonly candidate: {
    readonly answer: string | null;
    readonly tool_calls: readonly CandidateCall[];
    readonly usage: Usage;
    readonly model: string;
    readonly cost: number | null;
    /** null when the agent has no output_schema */
    readonly output_schema_valid: boolean | null;
    /** true when the first final reply did not match output_schema and a corrective call was made */
    readonly output_schema_corrected?: boolean;
    readonly latency_ms: number;
    /** the model call failed: why (the answer is then null) */
    readonly error?: string;
  };
  readonly diff: readonly DiffPart[];
  readonly tool_calls: {
    readonly added: readonly CallSummary[];
    readonly dropped: readonly CallSummary[];
    readonly changed: readonly { readonly name: string; readonly from: string; readonly to: string }[];
  };
  /** the answer or the tool calls differ */
  readonly differs: boolean;
}

export interface WhatIfRequestedData {
  readonly runId: string;
  readonly agent: { readonly namespace: string; readonly name: string };
  /** the spec the turns are replayed with (the current one with the candidate's fields over it) */
  readonly spec: Readonly<Record<string, unknown>>;
  /** the stored version replayed, when the request named one */
  readonly version: number | null;
  readonly chats: readonly string[];
  readonly unrecorded: UnrecordedPolicy;
  /** how many chats replay at once (absent in a run recorded before it existed: one) */
  readonly concurrency?: number;
  readonly requestedBy: string;
  readonly at: string;
}

export type WhatIfEvent =
  | { readonly type: 'WhatIfRequested'; readonly data: WhatIfRequestedData }
  | { readonly type: 'WhatIfStarted'; readonly data: { readonly total: number; readonly at: string } }
  | {
      readonly type: 'WhatIfChatReplayed';
      /** `more`: the chat's reports go on in the next event (report-size.ts keeps each one bounded) */
      readonly data: {
        readonly chatId: string;
        readonly turns: readonly TurnReport[];
        readonly more?: boolean;
      };
    }
  | {
      readonly type: 'WhatIfCompleted';
      readonly data: { readonly turns: number; readonly differences: number; readonly at: string };
    }
  | { readonly type: 'WhatIfFailed'; readonly data: { readonly error: string; readonly at: string } };

export type WhatIfStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface WhatIfRun {
  readonly request: WhatIfRequestedData;
  readonly status: WhatIfStatus;
  readonly total: number | null;
  readonly done: number;
  readonly differences: number;
  readonly replayedChats: ReadonlySet<string>;
  readonly turns: readonly TurnReport[];
  readonly error: string | null;
}

/**
 * What the replayed turns cost on each side, summed from their per-turn costs; null on a side where
 * some turn has no price (its model is not in the price list), rather than a sum that leaves it out.
 */
export function totalCost(turns: readonly TurnReport[]): {
  original: number | null;
  candidate: number | null;
} {
  const sum = (costs: readonly (number | null)[]) =>
    costs.some((c) => c === null) ? null : costs.reduce<number>((n, c) => n + c!, 0);
  return {
    original: sum(turns.map((t) => t.original.cost)),
    candidate: sum(turns.map((t) => t.candidate.cost)),
  };
}

/** The run as its events tell it; undefined when the stream holds no request. */
export function foldWhatIf(events: readonly { type: string; data: unknown }[]): WhatIfRun | undefined {
  let run: WhatIfRun | undefined;
  for (const e of events) {
    const ev = e as WhatIfEvent;
    if (ev.type === 'WhatIfRequested') run = initial(ev.data);
    else if (run) run = evolve(run, ev);
  }
  return run;
}

function initial(request: WhatIfRequestedData): WhatIfRun {
  const none = new Set<string>();
  return {
    request,
    status: 'queued',
    total: null,
    done: 0,
    differences: 0,
    replayedChats: none,
    turns: [],
    error: null,
  };
}

function evolve(run: WhatIfRun, ev: WhatIfEvent): WhatIfRun {
  switch (ev.type) {
    case 'WhatIfRequested':
      return run;
    case 'WhatIfStarted':
      return { ...run, status: 'running', total: ev.data.total };
    case 'WhatIfChatReplayed':
      return {
        ...run,
        done: run.done + ev.data.turns.length,
        differences: run.differences + ev.data.turns.filter((t) => t.differs).length,
        replayedChats: ev.data.more ? run.replayedChats : new Set([...run.replayedChats, ev.data.chatId]),
        turns: [...run.turns, ...ev.data.turns],
      };
    case 'WhatIfCompleted':
      return { ...run, status: 'completed' };
    case 'WhatIfFailed':
      return { ...run, status: 'failed', error: ev.data.error };
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}
