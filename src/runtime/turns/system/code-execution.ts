/**
 * The `codeExecution` system tool (reference §2.3): `execute_code {code, description?}` runs the
 * model's Python in the same sandbox as functions (the FunctionRunner: a Docker container, bubblewrap
 * or WebAssembly, no network, memory/pids limits), bound to the chat's user and chat like a function
 * version (a worker that ran this chat's code never runs anyone else's), with its own time limit, and
 * answers `{stdout?, result?, error?}` — the value of the code's last expression is `result`, as in
 * the original. It runs inline in the turn rather than as an execution: it has no function resource
 * to record an execution of, no `input()` to pause on, and the chat's tool-call events already record
 * the code and its output. Code may have had effects, so a call a crash interrupted is not re-run.
 */
import { randomUUID } from 'node:crypto';
import type { FunctionRunner, RunOutcome } from '../../functions/function-runner.js';
import { isolationKey } from '../../functions/function-runner.js';
import type { LlmTool } from '../../llm/llm.js';
import type { OfferedTool, ToolChat, ToolOutcome } from '../tool-family.js';

export interface CodeExecutionPorts {
  /** the process's function runner; undefined in an API-only process (which runs no turns) */
  readonly runner: FunctionRunner | undefined;
  /** one call's time limit (SINAS_CODE_EXECUTION_TIMEOUT_MS) */
  readonly timeoutMs: number;
  /** characters of stdout (and of stderr) kept in the result (default 8,000) */
  readonly outputChars?: number;
}

export const EXECUTE_CODE = 'execute_code';
const DEFAULT_OUTPUT_CHARS = 8000;

/**
 * Runs the model's code (given as input, never pasted into source) as a module, evaluating a last
 * expression statement for the result; a value JSON cannot carry comes back as its repr().
 */
export const CODE_WRAPPER = `import ast
import json


def handler(input_data, context):
    tree = ast.parse(input_data["code"], "<code>")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    scope = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(tree, "<code>", "exec"), scope)
    if last is None:
        return {"result": None}
    value = eval(compile(last, "<code>", "eval"), scope)
    try:
        json.dumps(value, allow_nan=False)
        return {"result": value}
    except (TypeError, ValueError, RecursionError):
        return {"result": repr(value)}
`;

const TOOL: LlmTool = {
  type: 'function',
  function: {
    name: EXECUTE_CODE,
    description:
      'Execute Python code in a sandbox: calculations, data processing, testing an algorithm. The code ' +
      'runs isolated, without network access; the value of its last expression is returned as the ' +
      'result, and what it prints as stdout. Only the Python standard library is available.',
    parameters: {
      type: 'object',
      properties: {
        code: {
          type: 'string',
          description: "Python code to execute. The last expression's value is captured as the result.",
        },
        description: {
          type: 'string',
          description: 'Brief description of what this code does (for display).',
        },
      },
      required: ['code'],
    },
  },
};

export interface CodeExecution {
  offer(): readonly OfferedTool[];
  run(args: Readonly<Record<string, unknown>>, chat: ToolChat, signal: AbortSignal): Promise<ToolOutcome>;
}

export function codeExecution(p: CodeExecutionPorts): CodeExecution {
  const cap = p.outputChars ?? DEFAULT_OUTPUT_CHARS;
  return {
    offer: () => [
      {
        tool: TOOL,
        target: { family: 'system', ref: { tool: EXECUTE_CODE } },
        status: { key: `system:${EXECUTE_CODE}`, fallback: 'Running code' },
      },
    ],
    async run(args, chat, signal) {
      if (typeof args.code !== 'string' || args.code.trim() === '')
        return { status: 'error', result: { error: 'code: Python code to run is required' } };
      if (!p.runner)
        return { status: 'error', result: { error: 'code execution is not available in this process' } };
      const executionId = randomUUID();
      const outcome = await p.runner.run(
        {
          executionId,
          code: CODE_WRAPPER,
          functionName: 'handler',
          input: { code: args.code },
          context: {
            user_id: chat.userId,
            user_email: null,
            access_token: null,
            execution_id: executionId,
            trigger_type: 'code_execution',
            chat_id: chat.chatId,
          },
          answers: [],
          timeoutMs: p.timeoutMs,
          sharedPool: false,
          // the sandbox worker is bound to this user's code in this chat
          isolationKey: isolationKey({
            userId: chat.userId,
            namespace: '$code_execution',
            name: chat.chatId,
            version: 0,
          }),
        },
        signal,
      );
      return outcomeOf(outcome, cap, p.timeoutMs);
    },
  };
}

function outcomeOf(o: RunOutcome, cap: number, timeoutMs: number): ToolOutcome {
  const out = {
    ...(o.stdout ? { stdout: cut(o.stdout, cap) } : {}),
    ...(o.stderr ? { stderr: cut(o.stderr, cap) } : {}),
  };
  const detail = { duration_ms: o.durationMs };
  switch (o.kind) {
    case 'completed': {
      const result = (o.output as { result?: unknown } | null)?.result ?? null;
      return { status: 'ok', result: { ...out, result }, detail };
    }
    case 'failed':
      return { status: 'error', result: { ...out, error: o.traceback ?? o.error }, detail };
    case 'timed_out':
      return {
        status: 'error',
        result: { ...out, error: `Code execution timed out after ${timeoutMs / 1000} s` },
        detail,
      };
    case 'awaiting_input':
      return {
        status: 'error',
        result: { ...out, error: 'input() is not available in execute_code' },
        detail,
      };
    default: {
      const unreachable: never = o;
      return unreachable;
    }
  }
}

function cut(text: string, cap: number): string {
  return text.length <= cap ? text : `${text.slice(0, cap)}\n[... output truncated]`;
}
