/**
 * Declarative config (reference §6.1) under /api/v1/config: validate, apply (dry run, force) and
 * export. The YAML comes as the body (`application/yaml`, `text/yaml`) or, as in the reference, as
 * a JSON body `{config: "<yaml>", dryRun, force}`; for a YAML body `?dryRun=true&force=true`.
 * No response, log line or change list carries a secret value or API key.
 */
import type { Request } from 'express';
import type { ApplyResult, ConfigService } from '../commands/config/config-service.js';
import type { JSONSchema } from '../commands/validation.js';
import { principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type RouteRegistry } from './routes.js';

export interface ConfigRouteDeps {
  readonly config: ConfigService;
}

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const tags = ['Config'];
const ISSUES: JSONSchema = {
  type: 'array',
  items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
};
const COUNTS: JSONSchema = { type: 'object', additionalProperties: { type: 'integer' } };
const APPLY_RESPONSE: JSONSchema = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    dryRun: { type: 'boolean' },
    applyId: { type: 'string' },
    summary: {
      type: 'object',
      properties: { created: COUNTS, updated: COUNTS, unchanged: COUNTS, deleted: COUNTS },
    },
    changes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          action: { type: 'string', enum: ['create', 'update', 'unchanged'] },
          resourceType: { type: 'string' },
          resourceName: { type: 'string' },
          changes: { type: 'array', items: { type: 'string' } },
          checksum: { type: 'string' },
        },
      },
    },
    errors: { type: 'array', items: { type: 'string' } },
    warnings: { type: 'array', items: { type: 'string' } },
    failed: { type: 'object' },
    notWritten: { type: 'array', items: { type: 'object' } },
  },
};

/** The JSON form of a config request; a YAML body (Content-Type: application/yaml) is the text alone. */
const CONFIG_BODY: JSONSchema = {
  type: 'object',
  required: ['config'],
  additionalProperties: false,
  properties: {
    config: { type: 'string', maxLength: 1_000_000, description: 'the SinasConfig YAML' },
    dryRun: { type: 'boolean' },
    force: { type: 'boolean' },
  },
};

function textOf(req: Request): string {
  return typeof req.body === 'string' ? req.body : (req.body as { config: string }).config;
}

function flag(req: Request, name: 'dryRun' | 'force'): boolean {
  const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
  return body[name] === true || queryOf(req)[name] === true;
}

export function registerConfigRoutes(registry: RouteRegistry, deps: ConfigRouteDeps): void {
  const flags = { dryRun: { type: 'boolean' }, force: { type: 'boolean' } };
  registry.add({
    method: 'post',
    path: '/api/v1/config/validate',
    access: { permission: () => 'sinas.config.validate:all' },
    summary: 'Validate a SinasConfig YAML document: structure, references, code, variables; writes nothing',
    tags,
    body: CONFIG_BODY,
    accepts: YAML_TYPES,
    responses: {
      200: {
        type: 'object',
        properties: { valid: { type: 'boolean' }, errors: ISSUES, warnings: ISSUES },
      },
    },
    handler: async (req, res) => {
      res.json(await deps.config.validate(textOf(req)));
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/config/apply',
    access: { permission: () => 'sinas.config.apply:all' },
    summary:
      'Apply a SinasConfig: all validated and planned before anything is written; unchanged resources write nothing',
    tags,
    query: flags,
    body: CONFIG_BODY,
    accepts: YAML_TYPES,
    responses: { 200: APPLY_RESPONSE, 409: APPLY_RESPONSE },
    handler: async (req, res) => {
      const p = principalOf(req);
      const r = await deps.config.apply(
        textOf(req),
        { dryRun: flag(req, 'dryRun'), force: flag(req, 'force'), applyId: commandIdOf(req) },
        { userId: p.userId, isAdmin: p.isAdmin },
      );
      if (r.position !== undefined) {
        if (!(await deps.config.settle())) res.setHeader('Sinas-Consistency', 'pending');
        res.setHeader('Sinas-Position', String(r.position));
      }
      res.status(r.success ? 200 : 409).json(toJson(r));
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/config/export',
    access: { permission: () => 'sinas.config.read:all' },
    summary:
      'The platform as a SinasConfig YAML that applies back unchanged (no secret values; API keys only with include_secrets)',
    tags,
    query: { include_secrets: { type: 'boolean' }, managed_only: { type: 'boolean' } },
    responses: { 200: { type: 'string', description: 'application/x-yaml' } },
    handler: async (req, res) => {
      const q = queryOf(req);
      const o = { includeSecrets: q.include_secrets === true, managedOnly: q.managed_only === true };
      res.type('application/x-yaml').send(await deps.config.export(o));
    },
  });
}

function toJson(r: ApplyResult): Record<string, unknown> {
  const { position: _p, ...rest } = r;
  return rest;
}
