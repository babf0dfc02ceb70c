/**
 * The JSON-lines protocol spoken with infra/python/sinas_harness.py (documented in its header), and the
 * mapping between it and the FunctionRunner port.
 */
import type { FunctionContext, RunOutcome, RunRequest } from '../function-runner.js';

export const DEFAULT_OUTPUT_LIMIT = 64 * 1024;

export interface HarnessRequest {
  readonly id: string;
  readonly code: string;
  readonly function_name: string;
  readonly input: unknown;
  readonly context: FunctionContext;
  readonly answers: readonly unknown[];
  readonly timeout_ms: number;
  readonly output_limit: number;
}

interface ReplyCommon {
  readonly id: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: readonly string[];
  /** threads or child processes outlived the run: recycle the process */
  readonly dirty: boolean;
}

export type HarnessReply =
  | (ReplyCommon & { readonly status: 'completed'; readonly output: unknown })
  | (ReplyCommon & { readonly status: 'awaiting_input'; readonly prompt: string })
  | (ReplyCommon & { readonly status: 'failed'; readonly error: string; readonly traceback: string | null });

/** The request the harness gets; sandboxed runs never see `secrets`. */
export function toHarnessRequest(
  req: RunRequest,
  opts: { trusted: boolean; outputLimit: number },
): HarnessRequest {
  const { secrets, ...untrusted } = req.context;
  return {
    id: req.executionId,
    code: req.code,
    function_name: req.functionName,
    input: req.input,
    context: opts.trusted ? { ...untrusted, secrets: secrets ?? {} } : untrusted,
    answers: req.answers,
    timeout_ms: req.timeoutMs,
    output_limit: opts.outputLimit,
  };
}

export interface RunMeta {
  readonly containerId: string | null;
  readonly durationMs: number;
}

export function replyToOutcome(reply: HarnessReply, meta: RunMeta): RunOutcome {
  const common = { stdout: reply.stdout ?? '', stderr: reply.stderr ?? '', logs: reply.logs ?? [], ...meta };
  switch (reply.status) {
    case 'completed':
      return { ...common, kind: 'completed', output: reply.output ?? null };
    case 'awaiting_input':
      return { ...common, kind: 'awaiting_input', prompt: reply.prompt };
    case 'failed':
      return { ...common, kind: 'failed', error: reply.error, traceback: reply.traceback ?? null };
    default: {
      const unreachable: never = reply;
      throw new Error(`unknown harness reply ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Splits a byte stream into JSON lines; hands each parsed message to `onMessage`. */
export class JsonLineDecoder {
  private pending: Buffer[] = [];

  constructor(private readonly onMessage: (msg: unknown) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      start = nl + 1;
      if (line.length) this.onMessage(JSON.parse(line.toString('utf8')));
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }
}

export function encodeLine(msg: unknown): string {
  return `${JSON.stringify(msg)}\n`;
}
