/**
 * Function execution endpoints (reference §4.5): run a function synchronously (bounded wait) or
 * asynchronously, list and read executions (detail folded from the event stream, `?as_of=<revision>`
 * for the state then), continue a paused one, cancel. Execute and continue answer in one shape and
 * one casing (`stopResult`).
 */
import type { Request, Response } from 'express';
import {
  decodedStop,
  type ExecutionService,
  type PresentExecution,
} from '../commands/execution/execution-service.js';
import { asExecutionId } from '../commands/ids.js';
import { NotFoundError } from '../errors.js';
import type { ExecutionQueries } from '../projections/execution-queries.js';
import type { ExecutionView, ExecutionViewQueries } from '../projections/execution-view-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import { holds, principalOf } from './auth.js';
import { itemPermission } from '../commands/identity/permissions.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type Access, type RouteRegistry } from './routes.js';
import { readYourWrites } from './read-your-writes.js';
import type { Timelines } from '../audit/timeline.js';
import { AUDIT_ALL, type EventVisibility } from '../audit/visibility.js';
import { readerOfRequest } from './reader.js';
import { TIMELINE_QUERY, TIMELINE_SCHEMA, timelineFilter } from './timeline-params.js';

export interface ExecutionRouteDeps {
  readonly executions: ExecutionService;
  readonly queries: ExecutionQueries;
  /** one execution, folded from its stream */
  readonly views: ExecutionViewQueries;
  /** executions' timelines */
  readonly timelines: Timelines;
  /** what a timeline's reader may see of each event */
  readonly visibility: EventVisibility;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  /** the longest a synchronous call waits (a request's own `timeout` may be shorter) */
  readonly syncTimeoutMs: number;
  /** throws when no run could start now (the job queue is unreachable): a call that waits for one asks first */
  readonly runsAvailable: () => void;
}

const tags = ['Executions'];
const EVERYTHING = Object.freeze({ 'sinas.*:all': true });
/** any signed-in user's own executions; a narrowed API key needs to read executions */
const READING = { signedIn: ['sinas.executions.read:own'] } as const;
const ident = '^[a-zA-Z_][a-zA-Z0-9_]*$';
const fnParams = {
  namespace: { type: 'string', pattern: ident, maxLength: 255 },
  name: { type: 'string', pattern: ident, maxLength: 255 },
};
const idParam = { execution_id: { type: 'string', format: 'uuid' } };
const STATUSES = ['PENDING', 'RUNNING', 'AWAITING_INPUT', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

const executionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    execution_id: { type: 'string' },
    function_namespace: { type: 'string' },
    function_name: { type: 'string' },
    trigger_type: { type: 'string' },
    trigger_id: { type: 'string' },
    chat_id: { type: ['string', 'null'] },
    tool_call_id: { type: ['string', 'null'] },
    status: { type: 'string', enum: STATUSES },
    input_data: {},
    output_data: {},
    error: { type: ['string', 'null'] },
    traceback: { type: ['string', 'null'] },
    stdout: { type: 'string' },
    stderr: { type: 'string' },
    logs: { type: 'array', items: { type: 'string' } },
    container_id: { type: ['string', 'null'] },
    input_prompt: { type: ['string', 'null'] },
    runs: { type: 'integer' },
    started_at: { type: ['string', 'null'] },
    completed_at: { type: ['string', 'null'] },
    duration_ms: { type: 'integer' },
    version: { type: 'integer' },
  },
};
/** running a function: `execute:all` on it, or `execute:own` and owning it */
const EXECUTE: Access = {
  permission: (req) =>
    itemPermission(
      'functions',
      { namespaced: true, ...(req.params as { namespace: string; name: string }) },
      'execute',
      'own',
    ),
};

const executeBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input: { type: 'object', default: {} },
    /** seconds the synchronous call waits */
    timeout: { type: 'integer', minimum: 1, maximum: 3600 },
  },
};
/**
 * What execute and continue both answer: where the run stopped. `success` (the return value in
 * `result`, and as `output_data`, the original continue's name for it), `awaiting_input` (the
 * question in `prompt`; answer it with continue), `error` (failed, timed out or cancelled; why in
 * `error`), or `timeout` (the call stopped waiting; the run goes on: poll GET /executions/{id}).
 */
const stopSchema = {
  type: 'object',
  properties: {
    execution_id: { type: 'string' },
    status: { type: 'string', enum: ['success', 'error', 'timeout', 'awaiting_input'] },
    result: {},
    output_data: {},
    error: { type: ['string', 'null'] },
    prompt: { type: ['string', 'null'] },
  },
};

export function registerExecutionRoutes(registry: RouteRegistry, d: ExecutionRouteDeps): void {
  /**
   * The caller; `isAdmin`: may act on everyone's executions (`sinas.executions.<action>:all`);
   * `permissions`: what this request holds, for the execute check (an administrator holds everything)
   */
  const caller = (req: Request, action: 'read' | 'update' = 'read') => {
    const p = principalOf(req);
    return {
      userId: p.userId,
      isAdmin: holds(req, `sinas.executions.${action}:all`),
      permissions: p.isAdmin ? EVERYTHING : p.permissions,
    };
  };
  const ctx = (req: Request) => ({ commandId: commandIdOf(req) });
  const view = async (req: Request, asOf?: number): Promise<ExecutionView> => {
    const v = await d.views.get(req.params.execution_id as string, asOf);
    const c = caller(req);
    if (!v || (!c.isAdmin && v.user_id !== c.userId)) throw new NotFoundError('execution not found');
    return v;
  };
  const consistent = (position: bigint | undefined, res: Response) =>
    readYourWrites(d, ['executions'], position, res);

  registry.add({
    method: 'post',
    path: '/functions/:namespace/:name/execute',
    access: EXECUTE,
    summary:
      'Run a function and wait for it (up to `timeout` seconds); a paused run returns its prompt. Needs `execute:all` on it, or `execute:own` and owning it',
    tags,
    params: fnParams,
    body: executeBody,
    responses: { 200: stopSchema },
    handler: async (req, res) => {
      const { namespace, name } = req.params as { namespace: string; name: string };
      const body = req.body as { input: Record<string, unknown>; timeout?: number };
      d.runsAvailable();
      const r = await d.executions.request(
        { namespace, name },
        body.input,
        { type: 'API', id: 'runtime-api' },
        caller(req),
        ctx(req),
      );
      const waitMs = Math.min(d.syncTimeoutMs, (body.timeout ?? Infinity) * 1000);
      const s = await d.executions.waitForStop(r.executionId, r.revision, waitMs);
      res.json(stopResult(r.executionId, s));
    },
  });
  registry.add({
    method: 'post',
    path: '/functions/:namespace/:name/execute/async',
    access: EXECUTE,
    summary:
      'Queue a run of a function; poll GET /executions/{execution_id}. Needs `execute:all` on it, or `execute:own` and owning it',
    tags,
    params: fnParams,
    body: executeBody,
    responses: {
      202: {
        type: 'object',
        properties: { execution_id: { type: 'string' }, status: { type: 'string', enum: ['queued'] } },
      },
    },
    handler: async (req, res) => {
      const { namespace, name } = req.params as { namespace: string; name: string };
      const r = await d.executions.request(
        { namespace, name },
        (req.body as { input: unknown }).input,
        { type: 'API', id: 'runtime-api' },
        caller(req),
        ctx(req),
      );
      res.setHeader('Location', `/executions/${r.executionId}`);
      res.status(202).json({ execution_id: r.executionId, status: 'queued' });
    },
  });
  registry.add({
    method: 'get',
    path: '/executions',
    access: READING,
    summary: "Executions, newest first: the caller's own (an admin's: everyone's)",
    tags,
    query: {
      function_name: { type: 'string', minLength: 1, maxLength: 511 },
      status: { type: 'string', enum: STATUSES },
      chat_id: { type: 'string', format: 'uuid' },
      trigger_type: {
        type: 'string',
        enum: ['AGENT', 'API', 'MANUAL', 'HOOK', 'WEBHOOK', 'SCHEDULE', 'CDC'],
      },
      skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: executionSchema } },
    handler: async (req, res) => {
      const q = queryOf(req) as {
        function_name?: string;
        status?: string;
        chat_id?: string;
        trigger_type?: string;
        skip: number;
        limit: number;
      };
      const c = caller(req);
      const rows = await d.queries.list({
        ...(c.isAdmin ? {} : { userId: c.userId }),
        ...(q.function_name !== undefined ? { functionName: q.function_name } : {}),
        ...(q.status !== undefined ? { status: q.status } : {}),
        ...(q.chat_id !== undefined ? { chatId: q.chat_id } : {}),
        ...(q.trigger_type !== undefined ? { triggerType: q.trigger_type } : {}),
        skip: q.skip,
        limit: q.limit,
      });
      res.json(rows.map(rowResponse));
    },
  });
  registry.add({
    method: 'get',
    path: '/executions/:execution_id',
    access: READING,
    summary: 'One execution, from its event stream (`as_of`: as it was at that stream revision)',
    tags,
    params: idParam,
    query: { as_of: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 200: executionSchema },
    handler: async (req, res) => {
      const asOf = queryOf(req).as_of as number | undefined;
      res.json(await view(req, asOf));
    },
  });
  registry.add({
    method: 'get',
    path: '/executions/:execution_id/timeline',
    access: { signedIn: ['sinas.executions.read:own', 'sinas.audit.read:all'] },
    summary:
      'Every event that concerns the execution (its runs and pauses, the function version, its tool call and approval) in commit order; the owner or an auditor. Events about what the reader may not read are references without their data',
    tags,
    params: idParam,
    query: TIMELINE_QUERY,
    responses: { 200: TIMELINE_SCHEMA },
    handler: async (req, res) => {
      if (!holds(req, AUDIT_ALL)) await view(req); // the owner's (404 otherwise)
      const viewer = d.visibility.viewer(readerOfRequest(req));
      const timeline = await d.timelines.execution(
        req.params.execution_id as string,
        timelineFilter(req),
        viewer,
      );
      if (!timeline) throw new NotFoundError('execution not found');
      res.json(timeline);
    },
  });
  registry.add({
    method: 'post',
    path: '/executions/:execution_id/continue',
    access: { permission: () => 'sinas.executions.update:own' },
    summary:
      'Answer the pending input() of a paused execution you started (while you may still execute its function) and wait for its next stop',
    tags,
    params: idParam,
    body: {
      type: 'object',
      required: ['input'],
      additionalProperties: false,
      properties: { input: {}, timeout: { type: 'integer', minimum: 1, maximum: 3600 } },
    },
    responses: { 200: stopSchema },
    handler: async (req, res) => {
      const id = asExecutionId(req.params.execution_id as string);
      const body = req.body as { input: unknown; timeout?: number };
      d.runsAvailable();
      const r = await d.executions.resume(id, body.input, caller(req, 'update'), ctx(req));
      const waitMs = Math.min(d.syncTimeoutMs, (body.timeout ?? Infinity) * 1000);
      const s = await d.executions.waitForStop(id, r.revision, waitMs);
      res.json(stopResult(id, s));
    },
  });
  registry.add({
    method: 'post',
    path: '/executions/:execution_id/cancel',
    access: { permission: () => 'sinas.executions.update:own' },
    summary: 'Cancel a pending, running or paused execution (a running container is killed)',
    tags,
    params: idParam,
    responses: { 200: executionSchema },
    handler: async (req, res) => {
      const r = await d.executions.cancel(
        asExecutionId(req.params.execution_id as string),
        caller(req, 'update'),
        ctx(req),
      );
      await consistent(r.position, res);
      res.json(await view(req));
    },
  });
}

/** The one answer of execute and continue (see `stopSchema`); `s` undefined: the wait ran out. */
export function stopResult(executionId: string, stop: PresentExecution | undefined) {
  const s = stop && decodedStop(stop);
  const base = { execution_id: executionId, result: null, output_data: null, error: null, prompt: null };
  if (!s)
    return {
      ...base,
      status: 'timeout',
      error: `Function execution timed out. Poll GET /executions/${executionId} for status.`,
    };
  const status = s.status;
  switch (status) {
    case 'COMPLETED': {
      const output = s.output ?? null;
      return { ...base, status: 'success', result: output, output_data: output };
    }
    case 'AWAITING_INPUT':
      return { ...base, status: 'awaiting_input', prompt: s.prompt };
    case 'FAILED':
    case 'TIMED_OUT':
      return { ...base, status: 'error', error: s.error ?? null };
    case 'CANCELLED':
      return { ...base, status: 'error', error: 'the execution was cancelled' };
    case 'PENDING':
    case 'RUNNING': // waitForStop answers only once stopped; kept for the exhaustive switch
      return { ...base, status: 'timeout', error: `Poll GET /executions/${executionId} for status.` };
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

function rowResponse(r: Record<string, unknown>) {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : (v ?? null));
  return {
    id: r.id,
    execution_id: r.id,
    user_id: r.user_id,
    function_namespace: r.function_namespace,
    function_name: r.function_name,
    function_version: Number(r.function_version),
    trigger_type: r.trigger_type,
    trigger_id: r.trigger_id,
    chat_id: r.chat_id,
    tool_call_id: r.tool_call_id,
    status: r.status,
    input_data: r.input_data,
    output_data: r.output_data,
    error: r.error,
    traceback: r.traceback,
    stdout: r.stdout,
    stderr: r.stderr,
    logs: r.logs,
    container_id: r.container_id,
    runs: r.runs,
    input_prompt: r.input_prompt,
    answers: r.answers,
    created_at: iso(r.created_at),
    started_at: iso(r.started_at),
    completed_at: iso(r.completed_at),
    duration_ms: r.duration_ms,
    version: Number(r.version),
  };
}
