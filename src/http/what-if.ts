/**
 * What-if replay over HTTP: start a run against an agent (the caller needs `update` on it; each
 * chat it names must be one they may read), read its progress and report, follow it as SSE, or
 * export it as NDJSON. The replay itself runs in a worker (runtime/whatif).
 */
import type { Request, Response } from 'express';
import { AGENT_FIELDS } from '../commands/agent/agent-kind.js';
import type { JSONSchema } from '../commands/validation.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import type { ResourceService } from '../commands/resource/resource-service.js';
import { AUDIT_ALL } from '../audit/visibility.js';
import { foldWhatIf, totalCost, type WhatIfRun } from '../runtime/whatif/whatif-events.js';
import type { WhatIfRequest, WhatIfService } from '../runtime/whatif/whatif-service.js';
import { DEFAULT_COUNT } from '../runtime/whatif/chat-selection.js';
import { holds, principalOf } from './auth.js';
import { kindAccess } from './resource-access.js';
import type { RouteRegistry } from './routes.js';
import { openSse, resumePoint } from './sse.js';

export interface WhatIfRouteDeps {
  readonly whatIf: WhatIfService;
  readonly agents: ResourceService;
  readonly queries: ResourceQueries;
}

/** the agent's fields a candidate may set (no defaults: what it leaves out stays as the agent has it) */
const candidateSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...Object.fromEntries(
      Object.entries(AGENT_FIELDS).map(([k, { default: _d, ...s }]) => [k, s as JSONSchema]),
    ),
    version: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
  },
};

const bodySchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    candidate: candidateSchema,
    chats: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', format: 'uuid' } },
    filter: {
      type: 'object',
      additionalProperties: false,
      properties: {
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
        count: { type: 'integer', minimum: 1, maximum: 1000, default: DEFAULT_COUNT },
      },
    },
    concurrency: { type: 'integer', minimum: 1, maximum: 32 },
    unrecorded: {
      anyOf: [
        { type: 'string', enum: ['fail', 'execute'] },
        { type: 'object', required: ['stub'], additionalProperties: false, properties: { stub: {} } },
      ],
    },
  },
};

const runSchema: JSONSchema = {
  type: 'object',
  properties: {
    run_id: { type: 'string' },
    agent: { type: 'object' },
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed'] },
    done: { type: 'integer' },
    total: { type: ['integer', 'null'] },
    differences: { type: 'integer' },
    cost: {
      type: 'object',
      description:
        "the replayed turns' cost, original and candidate, from analytics.model_prices (null when a turn's model has no price)",
      properties: { original: { type: ['number', 'null'] }, candidate: { type: ['number', 'null'] } },
    },
    chats: { type: 'array', items: { type: 'string' } },
    unrecorded: {},
    version: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    report: { type: 'array', items: { type: 'object' } },
  },
};

const runParams = {
  namespace: { type: 'string', minLength: 1, maxLength: 255 },
  name: { type: 'string', minLength: 1, maxLength: 255 },
  run_id: { type: 'string', format: 'uuid' },
} as const satisfies Record<string, JSONSchema>;

export function registerWhatIfRoutes(registry: RouteRegistry, d: WhatIfRouteDeps): void {
  const access = kindAccess(d.agents.kind, d.agents, d.queries);
  const base = '/api/v1/agents/:namespace/:name/what-if';
  const tags = ['what-if'];
  const reader = (req: Request) => ({
    userId: principalOf(req).userId,
    readsAll: holds(req, AUDIT_ALL),
    isAdmin: principalOf(req).isAdmin,
  });
  const found = (req: Request) => access.find(req, 'update');
  registry.add({
    method: 'post',
    path: base,
    access: access.route('update'),
    summary:
      "Replays recorded chats' user turns against a candidate agent (fields over the current spec, or a stored version) in a scratch context, as a background job",
    tags,
    params: { namespace: runParams.namespace, name: runParams.name },
    body: bodySchema,
    responses: { 202: runSchema },
    handler: async (req, res) => {
      const agent = await found(req);
      const { runId } = await d.whatIf.start(agent, req.body as WhatIfRequest, reader(req));
      res.status(202).location(`${req.baseUrl}${req.path}/${runId}`);
      res.json(body(runId, await d.whatIf.get(agent, runId, reader(req))));
    },
  });
  registry.add({
    method: 'get',
    path: `${base}/:run_id`,
    access: access.route('update'),
    summary:
      'A what-if run: status, turns done of total, differences, and the report so far (SSE with Accept: text/event-stream)',
    tags,
    params: runParams,
    responses: { 200: runSchema },
    handler: async (req, res) => {
      const agent = await found(req);
      if (req.get('accept')?.includes('text/event-stream'))
        return stream(req, res, d, await d.whatIf.events(agent, runIdOf(req), reader(req)));
      res.json(body(runIdOf(req), await d.whatIf.get(agent, runIdOf(req), reader(req))));
    },
  });
  registry.add({
    method: 'get',
    path: `${base}/:run_id/stream`,
    access: access.route('update'),
    summary: "A what-if run's events as SSE, from the start (or Last-Event-ID) until it ends",
    tags,
    params: runParams,
    produces: 'text/event-stream',
    responses: { 200: { type: 'string' } },
    handler: async (req, res) => {
      const agent = await found(req);
      return stream(req, res, d, await d.whatIf.events(agent, runIdOf(req), reader(req)));
    },
  });
  registry.add({
    method: 'get',
    path: `${base}/:run_id/export`,
    access: access.route('update'),
    summary: "A what-if run's report as NDJSON: the run, then one line per replayed turn",
    tags,
    params: runParams,
    produces: 'application/x-ndjson',
    responses: { 200: { type: 'string' } },
    handler: async (req, res) => {
      const agent = await found(req);
      const run = await d.whatIf.get(agent, runIdOf(req), reader(req));
      const { report, ...head } = body(runIdOf(req), run);
      res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="whatif-${runIdOf(req)}.ndjson"`);
      res.end([head, ...report].map((l) => JSON.stringify(l)).join('\n') + '\n');
    },
  });
}

const runIdOf = (req: Request) => req.params.run_id as string;

function body(runId: string, run: WhatIfRun) {
  return {
    run_id: runId,
    agent: run.request.agent,
    status: run.status,
    done: run.done,
    total: run.total,
    differences: run.differences,
    cost: totalCost(run.turns),
    chats: run.request.chats,
    unrecorded: run.request.unrecorded,
    version: run.request.version,
    error: run.error,
    report: run.turns,
  };
}

const FRAME: Record<string, string> = {
  WhatIfRequested: 'requested',
  WhatIfStarted: 'started',
  WhatIfChatReplayed: 'chat',
  WhatIfCompleted: 'completed',
  WhatIfFailed: 'failed',
};

/** Frames from the resume point on, live until the run ends (or the client goes away). */
function stream(
  req: Request,
  res: Response,
  d: WhatIfRouteDeps,
  read: readonly { type: string; data: unknown; revision: bigint }[],
): Promise<void> {
  const after = resumePoint(req)?.revision;
  const run = foldWhatIf(read)!;
  const conn = openSse(req, res);
  const sub = d.whatIf.follow(run.request.runId, after).subscribe({
    next: (e) => {
      conn.send({ event: FRAME[e.type] ?? e.type, id: String(e.revision), data: e.data });
      if (e.type === 'WhatIfCompleted' || e.type === 'WhatIfFailed') conn.end();
    },
    error: () => conn.end(), // the store went away: the client reconnects with Last-Event-ID
  });
  return conn.closed.then(() => sub.unsubscribe());
}
