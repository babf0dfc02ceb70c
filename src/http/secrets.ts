/**
 * The secrets management API (reference §5.1) under /api/v1/secrets. Values are write-only: no
 * response carries one (nor its ciphertext); `has_value` and `updated_at` say that and when it was set.
 * Private overrides shared for its owner; others' private secrets do not exist for a caller (404).
 */
import type { Request, Response } from 'express';
import type { SecretWrite } from '../commands/secret/secret-service.js';
import type { SecretService } from '../commands/secret/secret-service.js';
import {
  createSecretSchema,
  SECRET_NAME,
  SECRET_VISIBILITY,
  updateSecretSchema,
} from '../commands/secret/secret-schemas.js';
import type { JSONSchema } from '../commands/validation.js';
import { NotFoundError } from '../errors.js';
import { secretStream, type SecretVisibility } from '../events/secret-events.js';
import type { EventStore } from '../events/event-store.js';
import { upcast } from '../events/upcasters.js';
import { foldRecorded } from '../commands/command-handler.js';
import { secretDecider } from '../commands/secret/secret-decider.js';
import type { SecretQueries } from '../projections/secret-queries.js';
import type { SecretRow } from '../projections/secrets.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import { principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type RouteRegistry } from './routes.js';

export interface SecretRouteDeps {
  readonly secrets: SecretService;
  readonly queries: SecretQueries;
  /** for `?version=N`: the secret's metadata as its stream said then */
  readonly store: EventStore;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
}

const BASE = '/api/v1/secrets';

const ITEM = `${BASE}/:name`;
const tags = ['Secret'];
const params = { name: SECRET_NAME };
const which = { visibility: SECRET_VISIBILITY };

const RESPONSE: JSONSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    visibility: { type: 'string', enum: ['shared', 'private'] },
    user_id: { type: 'string' },
    has_value: { type: 'boolean', description: 'the value is write-only and never returned' },
    version: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: {
      type: 'string',
      format: 'date-time',
      description: 'when the value or description last changed',
    },
  },
};

export function registerSecretRoutes(registry: RouteRegistry, deps: SecretRouteDeps): void {
  const caller = (req: Request) => {
    const p = principalOf(req);
    return { userId: p.userId, isAdmin: p.isAdmin };
  };
  const ctx = (req: Request) => ({
    commandId: commandIdOf(req),
    actor: principalOf(req).userId,
    correlationId: String(req.get('x-request-id') ?? '') || undefined,
  });
  const visibility = (req: Request) => queryOf(req).visibility as SecretVisibility | undefined;
  const written = async (res: Response, position: bigint | undefined) => {
    const consistent = await deps.waiter.waitFor(['secrets'], position, deps.consistencyTimeoutMs);
    if (!consistent) res.setHeader('Sinas-Consistency', 'pending');
    if (position !== undefined) res.setHeader('Sinas-Position', String(position));
  };
  const reply = async (res: Response, r: SecretWrite, status: number) => {
    await written(res, r.position);
    res.setHeader('ETag', `"${r.secret.version}"`);
    res.status(status).json(fromWrite(r));
  };

  registry.add({
    method: 'post',
    path: BASE,
    access: { permission: () => 'sinas.secrets.create:own' },
    summary: 'Create a secret, or replace the value of your secret of that name and visibility',
    tags,
    body: createSecretSchema,
    responses: { 201: RESPONSE, 200: RESPONSE },
    handler: async (req, res) => {
      const r = await deps.secrets.put(req.body, caller(req), ctx(req));
      await reply(res, r, r.created ? 201 : 200);
    },
  });
  registry.add({
    method: 'get',
    path: BASE,
    access: { permission: () => 'sinas.secrets.read:own' },
    summary: 'List the shared secrets and your private ones (administrators: every secret)',
    tags,
    query: {
      ...which,
      skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: { 200: { type: 'array', items: RESPONSE } },
    handler: async (req, res) => {
      const q = queryOf(req) as { skip: number; limit: number; visibility?: SecretVisibility };
      const { rows, total } = await deps.queries.list(caller(req), q);
      res.setHeader('X-Total-Count', String(total));
      res.json(rows.map(fromRow));
    },
  });
  registry.add({
    method: 'get',
    path: ITEM,
    access: { permission: () => 'sinas.secrets.read:own' },
    summary:
      "A secret's metadata: your private one of that name, else the shared one (`version=N`: as it was then; never the value)",
    tags,
    params,
    query: { ...which, version: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 200: RESPONSE },
    handler: async (req, res) => {
      const { name } = req.params as { name: string };
      const row = await deps.queries.get(caller(req), name, visibility(req));
      if (!row) throw new NotFoundError(`secret '${name}' not found`, 'name');
      const version = queryOf(req).version as number | undefined;
      if (version === undefined) {
        res.setHeader('ETag', `"${row.version}"`);
        res.json(fromRow(row));
        return;
      }
      // versions count from 1: version N is the stream's first N events
      const events = await deps.store.readStream(secretStream(row.visibility, row.owner_id, row.name), {
        fromRevision: 0n,
        maxCount: version,
      });
      if (events.length < version) throw new NotFoundError(`the secret has no version ${version}`, 'version');
      const then = foldRecorded(secretDecider, events.map(upcast)).state;
      if (then.status !== 'active') {
        res.json({ name: row.name, visibility: row.visibility, deleted: true, version });
        return;
      }
      res.json({
        id: then.secretId,
        name: then.name,
        description: then.description,
        visibility: then.visibility,
        user_id: then.ownerId,
        has_value: true,
        version,
        created_at: then.createdAt,
        updated_at: then.updatedAt,
      });
    },
  });
  for (const method of ['put', 'patch'] as const) {
    registry.add({
      method,
      path: ITEM,
      access: { permission: () => 'sinas.secrets.update:own' },
      summary: 'Update the value or description of your private secret of that name, else the shared one',
      tags,
      params,
      query: which,
      body: updateSecretSchema,
      responses: { 200: RESPONSE },
      handler: async (req, res) => {
        const { name } = req.params as { name: string };
        const r = await deps.secrets.update(name, req.body, caller(req), ctx(req), visibility(req));
        await reply(res, r, 200);
      },
    });
  }
  registry.add({
    method: 'delete',
    path: ITEM,
    access: { permission: () => 'sinas.secrets.delete:own' },
    summary: 'Delete a secret (your private one first) and destroy its data key',
    tags,
    params,
    query: which,
    responses: { 204: undefined },
    handler: async (req, res) => {
      const { name } = req.params as { name: string };
      const r = await deps.secrets.remove(name, caller(req), ctx(req), visibility(req));
      await written(res, r.position);
      res.status(204).send();
    },
  });
}

function fromWrite(r: SecretWrite): Record<string, unknown> {
  const s = r.secret;
  return {
    id: s.secretId,
    name: s.name,
    description: s.description,
    visibility: s.visibility,
    user_id: s.ownerId,
    has_value: true,
    version: s.version,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

function fromRow(r: SecretRow): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    visibility: r.visibility,
    user_id: r.owner_id,
    has_value: true,
    version: Number(r.version),
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}
