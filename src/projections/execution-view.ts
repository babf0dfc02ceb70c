/**
 * One execution as the API shows it (reference §4.5 ExecutionResponse, plus logs and the pause's
 * prompt), folded straight from its event stream: always current, and `?as_of=<revision>` is the
 * same fold stopped early. The `executions` table serves lists.
 */
import type { ExecutionEvent } from '../events/execution-events.js';
import type { RecordedEvent } from '../events/event-store.js';
import { decodeText, decodeValue } from '../events/lossless-text.js';
import { upcast } from '../events/upcasters.js';
import { versionOfRevision } from '../events/versions.js';

export interface ExecutionView {
  id: string;
  execution_id: string;
  user_id: string;
  function_namespace: string;
  function_name: string;
  function_version: number;
  trigger_type: string;
  trigger_id: string;
  chat_id: string | null;
  tool_call_id: string | null;
  status: string;
  input_data: unknown;
  output_data: unknown;
  error: string | null;
  traceback: string | null;
  stdout: string;
  stderr: string;
  logs: string[];
  container_id: string | null;
  runs: number;
  input_prompt: string | null;
  answers: unknown[];
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number;
  version: number;
}

/** The view of the execution's events, with what the code returned or printed decoded (lossless-text). */
export function foldExecutionView(events: readonly RecordedEvent[]): ExecutionView | undefined {
  const v = fold(events.map(upcast)); // older events name the function's version as a revision
  return v && { ...v, ...decodedRunText(v) };
}

/** The fields a run's outcome fills, from their stored form (an execution row or view) to the text itself. */
export function decodedRunText(v: {
  output_data: unknown;
  error: string | null;
  traceback: string | null;
  stdout: string;
  stderr: string;
  logs: readonly string[];
  input_prompt: string | null;
}) {
  const text = (s: string | null) => (s === null ? null : decodeText(s));
  return {
    output_data: decodeValue(v.output_data),
    error: text(v.error),
    traceback: text(v.traceback),
    stdout: decodeText(v.stdout),
    stderr: decodeText(v.stderr),
    logs: v.logs.map(decodeText),
    input_prompt: text(v.input_prompt),
  };
}

function fold(events: readonly RecordedEvent[]): ExecutionView | undefined {
  let v: ExecutionView | undefined;
  for (const e of events) {
    const ev = { type: e.type, data: e.data } as ExecutionEvent;
    if (ev.type === 'ExecutionRequested') {
      const d = ev.data;
      v = {
        id: d.executionId,
        execution_id: d.executionId,
        user_id: d.userId,
        function_namespace: d.function.namespace,
        function_name: d.function.name,
        function_version: d.function.version,
        trigger_type: d.triggerType,
        trigger_id: d.triggerId,
        chat_id: d.chatId,
        tool_call_id: d.toolCallId,
        status: 'PENDING',
        input_data: d.input,
        output_data: null,
        error: null,
        traceback: null,
        stdout: '',
        stderr: '',
        logs: [],
        container_id: null,
        runs: 0,
        input_prompt: null,
        answers: [],
        created_at: d.at,
        started_at: null,
        completed_at: null,
        duration_ms: 0,
        version: versionOfRevision(e.revision),
      };
      continue;
    }
    if (!v) continue;
    v.version = versionOfRevision(e.revision);
    const report = (d: {
      stdout?: string;
      stderr?: string;
      logs?: readonly string[];
      containerId?: string | null;
      durationMs?: number;
    }) => {
      v!.stdout += d.stdout ?? '';
      v!.stderr += d.stderr ?? '';
      v!.logs.push(...(d.logs ?? []));
      v!.container_id = d.containerId ?? v!.container_id;
      v!.duration_ms += d.durationMs ?? 0;
    };
    switch (ev.type) {
      case 'ExecutionStarted':
        v.status = 'RUNNING';
        v.runs = ev.data.run;
        v.started_at ??= ev.data.at;
        break;
      case 'ExecutionAwaitingInput':
        report(ev.data);
        v.status = 'AWAITING_INPUT';
        v.input_prompt = ev.data.prompt;
        break;
      case 'ExecutionResumed':
        v.status = 'PENDING';
        v.input_prompt = null;
        v.answers.push(ev.data.answer);
        break;
      case 'ExecutionCompleted':
        report(ev.data);
        v.status = 'COMPLETED';
        v.output_data = ev.data.output;
        v.completed_at = ev.data.at;
        break;
      case 'ExecutionFailed':
        report(ev.data);
        v.status = 'FAILED';
        v.error = ev.data.error;
        v.traceback = ev.data.traceback;
        v.completed_at = ev.data.at;
        break;
      case 'ExecutionTimedOut':
        report(ev.data);
        v.status = 'TIMED_OUT';
        v.error = ev.data.error;
        v.completed_at = ev.data.at;
        break;
      case 'ExecutionCancelled':
        v.status = 'CANCELLED';
        v.input_prompt = null;
        v.completed_at = ev.data.at;
        break;
    }
  }
  return v;
}
