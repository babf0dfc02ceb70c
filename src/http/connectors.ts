/**
 * The Connector kind's routes (reference §5.2): the kit's management routes plus what only
 * connectors have: a test call of one operation as the caller (their secrets, a token minted for
 * them; needs the connector's `update`, as it may send its credentials anywhere its operations
 * point), and OpenAPI import: parse a document into operations (needs the right to create some
 * connector), or import into a connector (its `update`), merging when `apply` is set.
 */
import type { Request } from 'express';
import { listScope } from '../commands/identity/permissions.js';
import { connectorKind } from '../commands/connector/connector-kind.js';
import { ForbiddenError, UpstreamError } from '../errors.js';
import { ConnectorCallError, ConnectorClient } from '../runtime/connectors/connector-client.js';
import { connectorSpec, type ConnectorOperation } from '../runtime/connectors/connector-spec.js';
import { mergeOperations } from '../runtime/connectors/openapi-import.js';
import { parseImport, type ImportRequest } from '../runtime/connectors/openapi-source.js';
import { connectorClient } from '../runtime/connectors/connector-runtime.js';
import type { KindRouteDeps } from '../runtime/kind-registry.js';
import { principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { kindAccess } from './resource-access.js';
import { registerResourceRoutes } from './resources.js';
import type { RouteRegistry } from './routes.js';

const NAME = { type: 'string', minLength: 1, maxLength: 100, pattern: connectorKind.namePattern } as const;
const params = { namespace: NAME, name: NAME } as const;
const tags = ['Connector'];
const base = `/api/v1/${connectorKind.path}`;

const IMPORT_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    spec: { type: 'string', minLength: 1, maxLength: 10 * 1024 * 1024 },
    spec_url: { type: 'string', minLength: 1, maxLength: 2048 },
    operations: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 255 } },
    apply: { type: 'boolean', default: false },
  },
} as const;
const IMPORT_RESPONSE = {
  type: 'object',
  properties: {
    operations: { type: 'array', items: { type: 'object' } },
    warnings: { type: 'array', items: { type: 'string' } },
    applied: { type: 'integer' },
    spec_title: { type: ['string', 'null'] },
    spec_description: { type: ['string', 'null'] },
    spec_base_url: { type: ['string', 'null'] },
  },
} as const;
const TEST_RESPONSE = {
  type: 'object',
  properties: {
    status_code: { type: 'integer' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    body: {},
    elapsed_ms: { type: 'integer' },
  },
} as const;

export function registerConnectorRoutes(registry: RouteRegistry, deps: KindRouteDeps): void {
  registerResourceRoutes(registry, deps);
  const access = kindAccess(connectorKind, deps.service, deps.queries);
  const client = connectorClient(deps.services, {
    maxResponseBytes: deps.config.outbound.connectorMaxResponseBytes,
  });
  const guard = deps.services.outboundGuard;

  registry.add({
    method: 'post',
    path: `${base}/parse-openapi`,
    access: access.route('create'),
    summary:
      'Parse an OpenAPI 3.x document (JSON or YAML, or fetched from spec_url) into connector operations',
    tags,
    body: IMPORT_BODY,
    responses: { 200: IMPORT_RESPONSE },
    handler: async (req, res) => {
      mayCreateSome(req);
      const parsed = await parseImport(guard, req.body as ImportRequest);
      res.json({ ...parsed, applied: 0 });
    },
  });

  registry.add({
    method: 'post',
    path: `${base}/:namespace/:name/import-openapi`,
    access: access.route('update'),
    summary:
      "Parse an OpenAPI document for this connector; with apply, merge its operations into the connector's",
    tags,
    params,
    body: IMPORT_BODY,
    responses: { 200: IMPORT_RESPONSE },
    handler: async (req, res) => {
      const found = await access.find(req, 'update');
      const body = req.body as ImportRequest;
      const parsed = await parseImport(guard, body);
      if (!body.apply || parsed.operations.length === 0) return void res.json({ ...parsed, applied: 0 });
      const current = connectorSpec(await deps.service.current(found.namespace, found.name));
      const operations: ConnectorOperation[] = mergeOperations(current.operations, parsed.operations);
      const r = await deps.service.update(
        found.namespace,
        found.name,
        { operations },
        {
          commandId: commandIdOf(req),
          actor: principalOf(req).userId,
          correlationId: String(req.get('x-request-id') ?? '') || undefined,
          by: access.caller(req, 'update'),
        },
      );
      await deps.waiter.waitFor([connectorKind.table], r.position, deps.consistencyTimeoutMs);
      res.json({ ...parsed, applied: parsed.operations.length });
    },
  });

  registry.add({
    method: 'post',
    path: `${base}/:namespace/:name/test/:operation`,
    access: access.route('update'),
    summary: "Call one operation as the caller and return the answer (the connector's update permission)",
    tags,
    params: { ...params, operation: { type: 'string', minLength: 1, maxLength: 255 } },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { parameters: { type: 'object', default: {} } },
    },
    responses: { 200: TEST_RESPONSE },
    handler: async (req, res) => {
      const found = await access.find(req, 'update');
      const connector = connectorSpec(await deps.service.current(found.namespace, found.name));
      const op = ConnectorClient.operation(connector, String(req.params.operation));
      const args = (req.body as { parameters: Record<string, unknown> }).parameters;
      try {
        const { result } = await client.call(connector, op, args, principalOf(req).userId);
        res.json(result);
      } catch (err) {
        if (err instanceof ConnectorCallError) throw new UpstreamError(`the request failed: ${err.message}`);
        throw err;
      }
    },
  });
}

/** parsing needs the right to create a connector somewhere (any namespace the caller's grants name) */
function mayCreateSome(req: Request): void {
  const p = principalOf(req);
  if (p.isAdmin) return;
  const scope = listScope(p.permissions, {
    resource: 'connectors',
    action: 'create',
    namespaced: true,
    callerId: p.userId,
  });
  if (scope.kind === 'none') throw new ForbiddenError('Not authorized to create a connector');
}
