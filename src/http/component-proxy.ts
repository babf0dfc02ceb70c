/**
 * A component's proxy (reference §5.9): `POST /components/{ns}/{name}/proxy/queries/{q_ns}/{q_name}/execute`
 * and `…/proxy/functions/{fn_ns}/{fn_name}/execute`, called from the render page with the caller's
 * own credential. The target must be in the component's `enabled_queries` / `enabled_functions`
 * (403 naming the list), and the caller needs the target's `execute` permission themself: the
 * component's owner lends none of theirs. The answers are those of running the target directly.
 */
import type { Request } from 'express';
import type { ResourceService } from '../commands/resource/resource-service.js';
import { itemPermission } from '../commands/identity/permissions.js';
import type { ExecutionService } from '../commands/execution/execution-service.js';
import { proxyScope } from '../runtime/components/proxy-scope.js';
import type { QueryRuns } from '../runtime/queries/query-runs.js';
import type { StateProxy, StateProxyCall } from '../runtime/components/proxy-states.js';
import { principalOf } from './auth.js';
import { stopResult } from './executions.js';
import { commandIdOf } from './idempotency.js';
import { answer } from './query-execute.js';
import type { RouteRegistry } from './routes.js';

export interface ComponentProxyDeps {
  readonly components: ResourceService;
  readonly queryRuns?: QueryRuns;
  /** undefined when the platform serves no stores */
  readonly states?: StateProxy;
  readonly executions: ExecutionService;
  /** the longest a synchronous function call waits */
  readonly syncTimeoutMs: number;
  readonly runsAvailable: () => void;
}

const EVERYTHING = Object.freeze({ 'sinas.*:all': true });
const NAME = { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$', maxLength: 255 };
const body = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input: { type: 'object', default: {} },
    timeout: { type: 'integer', minimum: 1, maximum: 3600 },
  },
};
const stateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: {
    action: { type: 'string', enum: ['get', 'set', 'delete', 'list'] },
    key: { type: 'string', minLength: 1, maxLength: 255 },
    value: {},
    visibility: { type: 'string', enum: ['private', 'shared'], default: 'private' },
  },
};
const params = { namespace: NAME, name: NAME, target_namespace: NAME, target_name: NAME };

const named = (req: Request) => req.params as Record<keyof typeof params, string>;
const target = (req: Request) => `${named(req).target_namespace}/${named(req).target_name}`;
const executeOn = (resource: 'queries' | 'functions') => ({
  permission: (req: Request) =>
    itemPermission(
      resource,
      { namespaced: true, namespace: named(req).target_namespace, name: named(req).target_name },
      'execute',
      'own',
    ),
});
const who = (req: Request) => {
  const p = principalOf(req);
  return { userId: p.userId, permissions: p.isAdmin ? EVERYTHING : p.permissions };
};

export function registerComponentProxyRoutes(registry: RouteRegistry, d: ComponentProxyDeps): void {
  const tags = ['Components'];
  const base = '/components/:namespace/:name/proxy';
  const { queryRuns } = d;
  if (queryRuns)
    registry.add({
      method: 'post',
      path: `${base}/queries/:target_namespace/:target_name/execute`,
      access: executeOn('queries'),
      summary:
        "Run a query the component's enabled_queries names, with the caller's own execute permission on it",
      tags,
      params,
      body,
      responses: { 200: { type: 'object' } },
      handler: async (req, res) => {
        await proxyScope(d.components, named(req), 'enabled_queries', target(req));
        const input = (req.body as { input: Record<string, unknown> }).input;
        const { target_namespace: ns, target_name: name } = named(req);
        res.json(answer(await queryRuns.execute(ns, name, input, who(req), commandIdOf(req))));
      },
    });
  registry.add({
    method: 'post',
    path: `${base}/functions/:target_namespace/:target_name/execute`,
    access: executeOn('functions'),
    summary:
      "Run a function the component's enabled_functions names, with the caller's own execute permission on it",
    tags,
    params,
    body,
    responses: { 200: { type: 'object' } },
    handler: async (req, res) => {
      const n = named(req);
      await proxyScope(d.components, n, 'enabled_functions', target(req));
      const b = req.body as { input: Record<string, unknown>; timeout?: number };
      d.runsAvailable();
      const r = await d.executions.request(
        { namespace: n.target_namespace, name: n.target_name },
        b.input,
        { type: 'API', id: `component:${n.namespace}/${n.name}` },
        who(req),
        { commandId: commandIdOf(req) },
      );
      const waitMs = Math.min(d.syncTimeoutMs, (b.timeout ?? Infinity) * 1000);
      res.json(stopResult(r.executionId, await d.executions.waitForStop(r.executionId, r.revision, waitMs)));
    },
  });
  const { states } = d;
  if (states)
    registry.add({
      method: 'post',
      path: `${base}/states/:target_namespace/:target_name`,
      access: {
        permission: (req: Request) =>
          (['read_state', 'write_state'] as const).map((action) =>
            itemPermission(
              'stores',
              { namespaced: true, namespace: named(req).target_namespace, name: named(req).target_name },
              action,
              'own',
            ),
          ),
      },
      summary:
        "Get, set, delete or list the caller's states in a store the component's enabled_stores names (set and delete: readwrite)",
      tags,
      params,
      body: stateBody,
      responses: { 200: { type: 'object' } },
      handler: async (req, res) => {
        const n = named(req);
        const target = { namespace: n.target_namespace, name: n.target_name };
        const caller = who(req);
        res.json(await states.call(n, target, req.body as StateProxyCall, caller, commandIdOf(req)));
      },
    });
}
