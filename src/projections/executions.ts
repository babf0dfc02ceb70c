/**
 * The `executions` read model (reference §4.5 execution record): one row per execution with its
 * status, input, output, error, logs, the current pause's prompt, and timings. One statement per event.
 */
import type pg from 'pg';
import type { ExecutionEvent } from '../events/execution-events.js';
import type { RecordedEvent } from '../events/event-store.js';
import { versionOfRevision } from '../events/versions.js';
import type { Projection, TableNames } from './projection.js';

export const executionsProjection: Projection = {
  name: 'executions',
  version: 2, // 2: versions (the execution's, the function's it ran) count from 1
  filter: { categories: ['execution'] },
  tables: ['executions'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.executions} (
      id uuid PRIMARY KEY,
      user_id text NOT NULL,
      function_id uuid NOT NULL,
      function_namespace text NOT NULL,
      function_name text NOT NULL,
      function_version bigint NOT NULL,
      trigger_type text NOT NULL,
      trigger_id text NOT NULL,
      chat_id uuid,
      tool_call_id text,
      status text NOT NULL,
      input_data jsonb,
      output_data jsonb,
      error text,
      traceback text,
      stdout text NOT NULL DEFAULT '',
      stderr text NOT NULL DEFAULT '',
      logs jsonb NOT NULL DEFAULT '[]',
      container_id text,
      runs int NOT NULL DEFAULT 0,
      worker text,
      input_prompt text,
      answers jsonb NOT NULL DEFAULT '[]',
      timeout_ms int NOT NULL,
      shared_pool boolean NOT NULL,
      created_at timestamptz NOT NULL,
      started_at timestamptz,
      run_started_at timestamptz,
      completed_at timestamptz,
      duration_ms int NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL,
      version bigint NOT NULL,
      position bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${t.executions}_user_idx ON ${t.executions} (user_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS ${t.executions}_chat_idx ON ${t.executions} (chat_id) WHERE chat_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ${t.executions}_open_idx ON ${t.executions} (status) WHERE status IN ('PENDING', 'RUNNING');`,
  async apply(tx, events, t) {
    for (const e of events) await applyOne(tx, e, t);
  },
};

async function applyOne(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as ExecutionEvent;
  const id = e.streamName.slice('execution-'.length);
  /** $1 id, $2 at, $3 version, $4 position, then the statement's own */
  const update = (set: string, params: unknown[]) =>
    tx.query(
      `UPDATE ${t.executions} SET ${set}, updated_at = $2, version = $3, position = $4 WHERE id = $1 AND version < $3`,
      [id, ev.data.at, versionOfRevision(e.revision), String(e.position), ...params],
    );
  /** the report every run-ending event carries: output streams appended run after run */
  const report = (d: {
    stdout?: string;
    stderr?: string;
    logs?: readonly string[];
    containerId?: string | null;
    durationMs?: number;
  }) => [
    d.stdout ?? '',
    d.stderr ?? '',
    JSON.stringify(d.logs ?? []),
    d.containerId ?? null,
    d.durationMs ?? 0,
  ];
  const REPORT =
    'stdout = stdout || $5, stderr = stderr || $6, logs = logs || $7::jsonb, container_id = coalesce($8, container_id), duration_ms = duration_ms + $9';
  switch (ev.type) {
    case 'ExecutionRequested': {
      const d = ev.data;
      await tx.query(
        `INSERT INTO ${t.executions} (id, user_id, function_id, function_namespace, function_name, function_version,
           trigger_type, trigger_id, chat_id, tool_call_id, status, input_data, timeout_ms, shared_pool,
           created_at, updated_at, version, position)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'PENDING',$11,$12,$13,$14,$14,$15,$16) ON CONFLICT (id) DO NOTHING`,
        [
          id,
          d.userId,
          d.function.id,
          d.function.namespace,
          d.function.name,
          d.function.version,
          d.triggerType,
          d.triggerId,
          d.chatId,
          d.toolCallId,
          JSON.stringify(d.input ?? null),
          d.timeoutMs,
          d.sharedPool,
          d.at,
          versionOfRevision(e.revision),
          String(e.position),
        ],
      );
      return;
    }
    case 'ExecutionStarted':
      await update(
        `status = 'RUNNING', runs = $5, worker = $6, started_at = coalesce(started_at, $2), run_started_at = $2`,
        [ev.data.run, ev.data.worker],
      );
      return;
    case 'ExecutionAwaitingInput':
      await update(`status = 'AWAITING_INPUT', input_prompt = $10, ${REPORT}`, [
        ...report(ev.data),
        ev.data.prompt,
      ]);
      return;
    case 'ExecutionResumed':
      await update(
        `status = 'PENDING', input_prompt = NULL, answers = answers || jsonb_build_array($5::jsonb)`,
        [JSON.stringify(ev.data.answer ?? null)],
      );
      return;
    case 'ExecutionCompleted':
      await update(`status = 'COMPLETED', output_data = $10, completed_at = $2, ${REPORT}`, [
        ...report(ev.data),
        JSON.stringify(ev.data.output ?? null),
      ]);
      return;
    case 'ExecutionFailed':
    case 'ExecutionTimedOut':
      await update(`status = $10, error = $11, traceback = $12, completed_at = $2, ${REPORT}`, [
        ...report(ev.data),
        ev.type === 'ExecutionFailed' ? 'FAILED' : 'TIMED_OUT',
        ev.data.error,
        ev.type === 'ExecutionFailed' ? ev.data.traceback : null,
      ]);
      return;
    case 'ExecutionCancelled':
      await update(`status = 'CANCELLED', input_prompt = NULL, completed_at = $2`, []);
      return;
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}
