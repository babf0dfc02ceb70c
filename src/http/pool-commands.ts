/**
 * The administrators' commands to the worker processes' function pools (reference §5.13,
 * `sinas.system.update:all`), each through the one command path every worker follows
 * (src/runtime/admin/admin-commands.ts): recorded first, then answered with the reports of the
 * live workers that applied it within a bounded wait (`workers_applied` of `workers_expected`; a
 * late worker still applies it). The mapping to the original's containers:
 * - `POST /containers/scale {target}` and `/containers/reload`: the sandbox pool (the containers
 *   user functions run in), resized to `target` blank containers kept ready, or its idle containers
 *   recycled so a changed image or environment is picked up;
 * - `POST /workers/scale {target_count}` and `/workers/reload`: the original's shared workers run
 *   the trusted shared-pool functions, here the trusted shared pool; reload recycles both pools;
 * - `POST /system/containers/{container_name}/restart`: the original restarts one of its compose
 *   service containers; this platform's processes are started by the deployment and nothing here
 *   would bring one back, so the containers it does manage are the ones restarted: a function
 *   container of the sandbox pool, by the name `/containers/stats` shows, if idle (a busy one is a
 *   409: it finishes its run first); a name no worker reported having is a 404.
 */
import type { Request } from 'express';
import type { AdminCommand, AdminCommands, AppliedReport } from '../runtime/admin/admin-commands.js';
import { IllegalStateError, NotFoundError } from '../errors.js';
import { objectOf } from './admin-route.js';
import { principalOf } from './auth.js';
import type { Access, RouteRegistry } from './routes.js';

export interface PoolCommandDeps {
  readonly commands: Pick<AdminCommands, 'run'>;
}

const SYSTEM_UPDATE: Access = { permission: () => 'sinas.system.update:all' };

const int = { type: 'integer' } as const;
const RESIZE = { previous: int, current: int, added: int, removed: int };
const WAITED = { workers_expected: int, workers_applied: int };

/** the reports' numbers added up, each worker's own pool in one sum */
function sum(reports: readonly AppliedReport[], keys: readonly string[]): Record<string, number> {
  const total = Object.fromEntries(keys.map((k) => [k, 0]));
  for (const { report } of reports)
    for (const k of keys) total[k]! += typeof report[k] === 'number' ? report[k] : 0;
  return total;
}

function resizeAnswer(reports: readonly AppliedReport[]) {
  const s = sum(reports, ['previous', 'current', 'added', 'removed']);
  const action = s.added! > 0 ? 'scale_up' : s.removed! > 0 ? 'scale_down' : 'no_change';
  return { action, ...s };
}

function reloadAnswer(reports: readonly AppliedReport[]) {
  const { idle_containers } = sum(reports, ['idle_containers']);
  return {
    status: idle_containers! > 0 ? 'completed' : 'no_idle_containers',
    idle_containers,
    success: idle_containers,
    failed: 0,
    errors: null,
  };
}

const run = (d: PoolCommandDeps, req: Request, commands: readonly AdminCommand[]) =>
  d.commands.run(commands, principalOf(req).userId);

export function registerPoolCommandRoutes(registry: RouteRegistry, d: PoolCommandDeps): void {
  const scale = (path: string, field: string, max: number, pool: 'sandbox' | 'shared') =>
    registry.add({
      method: 'post',
      path,
      access: SYSTEM_UPDATE,
      summary:
        pool === 'sandbox'
          ? "Resize every worker's function container pool: `target` containers kept ready"
          : "Resize every worker's trusted shared pool (the original's shared workers)",
      tags: [pool === 'sandbox' ? 'Containers' : 'Workers'],
      body: {
        type: 'object',
        required: [field],
        additionalProperties: false,
        properties: {
          [field]: { type: 'integer', minimum: 0, ...(max === undefined ? {} : { maximum: max }) },
        },
      },
      responses: { 200: objectOf({ action: { type: 'string' }, ...RESIZE, ...WAITED }) },
      handler: async (req, res) => {
        const target = (req.body as Record<string, number>)[field]!;
        const { reports, waited } = await run(d, req, [{ kind: 'scale', pool, target }]);
        res.json({ ...resizeAnswer(reports[0]!), ...waited });
      },
    });
  // each worker caps it at its pool's max (SINAS_FUNCTION_POOL_MAX), as the original caps at its own
  scale('/api/v1/containers/scale', 'target', 1000, 'sandbox');
  scale('/api/v1/workers/scale', 'target_count', 10, 'shared');

  const RELOAD = {
    status: { type: 'string' },
    idle_containers: int,
    success: int,
    failed: int,
    errors: { type: 'null' },
  } as const;
  const reloadFields = objectOf(RELOAD);
  registry.add({
    method: 'post',
    path: '/api/v1/containers/reload',
    access: SYSTEM_UPDATE,
    summary: "Recycle every worker's idle function containers (fresh image, files and environment)",
    tags: ['Containers'],
    responses: { 200: objectOf({ ...RELOAD, ...WAITED }) },
    handler: async (req, res) => {
      const { reports, waited } = await run(d, req, [{ kind: 'reload', pool: 'sandbox' }]);
      res.json({ ...reloadAnswer(reports[0]!), ...waited });
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/workers/reload',
    access: SYSTEM_UPDATE,
    summary: "Recycle every worker's idle shared-pool workers and function containers",
    tags: ['Workers'],
    responses: { 200: objectOf({ workers: reloadFields, pool: reloadFields, ...WAITED }) },
    handler: async (req, res) => {
      const commands: AdminCommand[] = [
        { kind: 'reload', pool: 'shared' },
        { kind: 'reload', pool: 'sandbox' },
      ];
      const { reports, waited } = await run(d, req, commands);
      res.json({ workers: reloadAnswer(reports[0]!), pool: reloadAnswer(reports[1]!), ...waited });
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/system/containers/:container_name/restart',
    access: SYSTEM_UPDATE,
    summary: 'Restart an idle function container of the sandbox pool, by the name /containers/stats shows',
    tags: ['System'],
    // a container id, or a worker's own id (`pid:123`): nothing else names one
    params: {
      container_name: {
        type: 'string',
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$',
      },
    },
    responses: {
      200: objectOf({ status: { type: 'string', enum: ['restarted'] }, container: { type: 'string' } }),
    },
    handler: async (req, res) => {
      const name = req.params.container_name as string;
      const { reports } = await run(d, req, [{ kind: 'restart', pool: 'sandbox', name }]);
      const outcomes = reports[0]!.map((r) => r.report.restart);
      if (outcomes.includes('restarted')) {
        res.json({ status: 'restarted', container: name });
        return;
      }
      if (outcomes.includes('in_use'))
        throw new IllegalStateError(
          `container ${name} is running a function; restart it once idle`,
          'container_name',
        );
      throw new NotFoundError(`no worker has a function container named ${name}`, 'container_name');
    },
  });
}
