/**
 * /api/v1/database-connections (reference §5.3): the kit's routes for the DatabaseConnection kind,
 * where PATCH and DELETE also take the connection's id (the original API addresses them by id, the
 * kit by name: both work), plus the connection tests and the schema and data browser
 * (database-browser.ts). A test connects to whatever host an administrator names: an outbound call
 * from the platform's network, so only administrators may make it and it gives up after a connect
 * timeout; database hosts are private as a rule, so the HTTP outbound guard does not apply.
 */
import type { Request } from 'express';
import pg from 'pg';
import { NotFoundError } from '../errors.js';
import {
  databaseConnectionKind,
  BUILT_IN_CONNECTION,
  CONNECTION_TARGET,
} from '../commands/database-connection/database-connection-kind.js';
import type { DatabaseAnnotations } from '../commands/database-connection/annotations.js';
import type { JSONSchema } from '../commands/validation.js';
import type { KindRouteDeps } from '../runtime/kind-registry.js';
import { clientConfig, type ConnectionTarget } from '../runtime/data-sources/pool-config.js';
import { registerDatabaseBrowser } from './database-browser.js';
import { param } from './database-browser-data.js';
import { kindAccess } from './resource-access.js';
import { registerResourceRoutes } from './resources.js';
import type { RouteRegistry, RouteSpec } from './routes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TEST_RESULT: JSONSchema = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    message: { type: 'string' },
    latency_ms: { type: 'integer', description: 'connect and one round trip, when it succeeded' },
  },
};

export function registerDatabaseConnectionRoutes(
  registry: RouteRegistry,
  deps: KindRouteDeps & { readonly annotations: DatabaseAnnotations },
): void {
  const kind = databaseConnectionKind;
  const byIdToo = idAddressed(deps);
  registerResourceRoutes({ add: (spec: RouteSpec) => registry.add(byIdToo(spec)) } as RouteRegistry, {
    ...deps,
    decorate: {
      schema: { managed_by: { type: ['string', 'null'], enum: ['system', null] } },
      of: (ids) => managedBy(deps, ids),
    },
  });
  const access = kindAccess(kind, deps.service, deps.queries);
  const base = `/api/v1/${kind.path}`;
  const tags = [kind.tag!];
  registry.add({
    method: 'post',
    path: `${base}/test`,
    access: access.route('update'),
    summary: 'Try a connection before saving it: connect, run SELECT 1 (admin only; 5 s connect timeout)',
    tags,
    body: {
      type: 'object',
      properties: CONNECTION_TARGET,
      required: ['connection_type', 'host', 'port', 'database', 'username'],
      additionalProperties: false,
    },
    responses: { 200: TEST_RESULT },
    handler: async (req, res) => {
      res.json(await tryConnect(req.body as ConnectionTarget));
    },
  });
  registry.add({
    method: 'post',
    path: `${base}/:name/test`,
    access: access.route('update'),
    summary: 'Try a saved connection (by id or name): SELECT 1 in a read-only transaction',
    tags,
    params: { name: { type: 'string', minLength: 1, maxLength: 100 } },
    responses: { 200: TEST_RESULT },
    handler: async (req, res) => {
      const key = param(req, 'name');
      // an id that is no connection's may still be a name (names may look like UUIDs): try that next
      const source = UUID.test(key) ? await deps.dataSources.byId(key).catch(notFound) : undefined;
      const found = source ?? (await deps.dataSources.byName(key));
      const started = performance.now();
      try {
        await found.run({ readOnly: true, timeoutMs: 5_000 }, (c) => c.query('SELECT 1'));
        res.json({
          success: true,
          message: 'connected',
          latency_ms: Math.round(performance.now() - started),
        });
      } catch (err) {
        res.json({ success: false, message: (err as Error).message });
      }
    },
  });
  registerDatabaseBrowser(registry, {
    access,
    dataSources: deps.dataSources,
    annotations: deps.annotations,
    tags,
  });
}

/** a NotFoundError is an answer (undefined); anything else is rethrown */
function notFound(err: unknown): undefined {
  if (err instanceof NotFoundError) return undefined;
  throw err;
}

/** connects once with the given fields: never throws, the failure is the answer */
async function tryConnect(t: ConnectionTarget): Promise<Record<string, unknown>> {
  const client = new pg.Client(clientConfig(t));
  client.on('error', () => {}); // a connection cut after the answer: nothing waits for it
  const started = performance.now();
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { success: true, message: 'connected', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { success: false, message: (err as Error).message || String(err) };
  } finally {
    await client.end().catch(() => undefined); // never connected, or already closed: nothing to end
  }
}

/**
 * The kit's PATCH and DELETE `/:name` also accept the item's id: a UUID that is a connection's id
 * is turned into its name before the kit's handler runs.
 */
function idAddressed(deps: KindRouteDeps) {
  return (spec: RouteSpec): RouteSpec => {
    const item = spec.path.endsWith('/:name') && (spec.method === 'patch' || spec.method === 'delete');
    if (!item) return spec;
    return {
      ...spec,
      summary: `${spec.summary} (by name or id)`,
      params: { name: { anyOf: [spec.params!.name!, { type: 'string', format: 'uuid' }] } },
      handler: async (req, res) => {
        await nameOfId(deps, req);
        await spec.handler(req, res);
      },
    };
  };
}

async function nameOfId(deps: KindRouteDeps, req: Request): Promise<void> {
  const key = param(req, 'name');
  if (!UUID.test(key)) return;
  const row = await deps.queries.getById(databaseConnectionKind, key.toLowerCase());
  if (row) (req.params as Record<string, string>).name = String(row.name);
}

async function managedBy(deps: KindRouteDeps, ids: readonly string[]) {
  const { rows } = await deps.pool.query<{ id: string; name: string }>(
    'SELECT id::text, name FROM database_connections WHERE id = ANY($1::uuid[])',
    [ids],
  );
  const names = new Map(rows.map((r) => [r.id, r.name]));
  return new Map(
    ids.map((id) => [id, { managed_by: names.get(id) === BUILT_IN_CONNECTION ? 'system' : null }]),
  );
}
