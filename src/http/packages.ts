/**
 * Packages (reference §5.13) under /api/v1/packages: install and preview a SinasPackage YAML, build
 * one from named resources, list and read installed packages (from the read model), export one,
 * uninstall one. Installing and previewing need `sinas.packages.install:all`; create `create:all`;
 * reading `read:all`; uninstalling `delete:all` (admins hold them all).
 */
import type { Request } from 'express';
import { NotFoundError } from '../errors.js';
import type { Caller } from '../commands/config/config-service.js';
import { PACKAGE_META, PACKAGE_NAME } from '../commands/package/package-document.js';
import { exportPackage, resolveRefs, type ResourceRef } from '../commands/package/package-export.js';
import type { InstallResult, PackageService } from '../commands/package/package-service.js';
import type { JSONSchema } from '../commands/validation.js';
import type { PackageQueries, PackageRow } from '../projections/package-queries.js';
import type { ConfigSection } from '../commands/config/config-section.js';
import { principalOf } from './auth.js';
import { YAML_TYPES } from './config.js';
import { commandIdOf } from './idempotency.js';
import type { RouteRegistry } from './routes.js';

export interface PackageRouteDeps {
  readonly packages: PackageService;
  readonly queries: PackageQueries;
  readonly sections: () => readonly ConfigSection[];
}

const tags = ['Packages'];
const SOURCE_BODY: JSONSchema = {
  type: 'object',
  required: ['source'],
  additionalProperties: false,
  properties: {
    source: { type: 'string', maxLength: 1_000_000, description: 'the SinasPackage YAML' },
    force: { type: 'boolean', description: 'take over resources something else manages' },
  },
};
const RESOURCE_REF: JSONSchema = {
  type: 'object',
  required: ['type', 'name'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', maxLength: 100 },
    namespace: { type: 'string', maxLength: 200, default: 'default' },
    name: { type: 'string', minLength: 1, maxLength: 500 },
  },
};
const CREATE_BODY: JSONSchema = {
  ...PACKAGE_META,
  required: ['name', 'resources'],
  properties: {
    ...(PACKAGE_META.properties as Record<string, JSONSchema>),
    resources: { type: 'array', maxItems: 1000, items: RESOURCE_REF },
  },
};
const RESOURCE: JSONSchema = {
  type: 'object',
  properties: {
    section: { type: 'string' },
    resourceType: { type: 'string' },
    resourceName: { type: 'string' },
  },
};
const PACKAGE: JSONSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    description: { type: ['string', 'null'] },
    author: { type: ['string', 'null'] },
    source_url: { type: ['string', 'null'] },
    installed_by: { type: 'string' },
    installed_at: { type: 'string' },
    updated_at: { type: 'string' },
    resources: { type: 'array', items: RESOURCE },
  },
};
const INSTALL: JSONSchema = {
  type: 'object',
  properties: {
    package: { type: 'object' },
    apply: { type: 'object' },
    removed: { type: 'array', items: RESOURCE },
  },
};
const YAML_TEXT: JSONSchema = { type: 'string', description: 'application/x-yaml' };

function textOf(req: Request): string {
  return typeof req.body === 'string' ? req.body : (req.body as { source: string }).source;
}

const callerOf = (req: Request): Caller => {
  const p = principalOf(req);
  return { userId: p.userId, isAdmin: p.isAdmin };
};

export function packageJson(r: PackageRow) {
  return { ...r, installed_at: r.installed_at.toISOString(), updated_at: r.updated_at.toISOString() };
}

function installJson(r: InstallResult) {
  const { position: _p, ...apply } = r.apply;
  return { package: r.package, apply, removed: r.removed };
}

export function registerPackageRoutes(registry: RouteRegistry, deps: PackageRouteDeps): void {
  const byName = { name: PACKAGE_NAME };
  const installed = async (name: string) => {
    const row = await deps.queries.get(name);
    if (!row) throw new NotFoundError(`package '${name}' is not installed`, 'name');
    return row;
  };
  registry.add({
    method: 'post',
    path: '/api/v1/packages/install',
    access: { permission: () => 'sinas.packages.install:all' },
    summary:
      'Install (or upgrade) a SinasPackage: its resources are managed by pkg:<name>; what a new version drops is deleted',
    tags,
    body: SOURCE_BODY,
    accepts: YAML_TYPES,
    responses: { 200: INSTALL, 409: INSTALL },
    handler: async (req, res) => {
      const force = typeof req.body === 'object' && (req.body as { force?: boolean }).force === true;
      const r = await deps.packages.install(textOf(req), callerOf(req), {
        force,
        applyId: commandIdOf(req),
      });
      res.status(r.apply.success ? 200 : 409).json(installJson(r));
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/packages/preview',
    access: { permission: () => 'sinas.packages.install:all' },
    summary: 'What installing a SinasPackage would create, update and delete; nothing is written',
    tags,
    body: SOURCE_BODY,
    accepts: YAML_TYPES,
    responses: { 200: INSTALL },
    handler: async (req, res) => {
      const force = typeof req.body === 'object' && (req.body as { force?: boolean }).force === true;
      res.json(installJson(await deps.packages.preview(textOf(req), callerOf(req), { force })));
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/packages/create',
    access: { permission: () => 'sinas.packages.create:all' },
    summary: 'Build a SinasPackage YAML from named resources on the platform',
    tags,
    body: CREATE_BODY,
    responses: { 200: { type: 'object', properties: { yaml: YAML_TEXT } } },
    handler: async (req, res) => {
      const { resources, ...meta } = req.body as { name: string; version?: string; resources: ResourceRef[] };
      const sections = deps.sections();
      const refs = await resolveRefs(sections, resources);
      res.json({ yaml: await exportPackage(sections, { ...meta, version: meta.version ?? '1.0.0' }, refs) });
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/packages',
    access: { permission: () => 'sinas.packages.read:all' },
    summary: 'The installed packages',
    tags,
    responses: { 200: { type: 'array', items: PACKAGE } },
    handler: async (_req, res) => {
      res.json((await deps.queries.list()).map(packageJson));
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/packages/:name',
    access: { permission: () => 'sinas.packages.read:all' },
    summary: 'One installed package, with the resources it manages',
    tags,
    params: byName,
    responses: { 200: PACKAGE },
    handler: async (req, res) => {
      res.json(packageJson(await installed(String(req.params.name))));
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/packages/:name/export',
    access: { permission: () => 'sinas.packages.read:all' },
    summary: 'An installed package as a SinasPackage YAML, from the resources it manages now',
    tags,
    params: byName,
    responses: { 200: YAML_TEXT },
    produces: 'application/x-yaml',
    handler: async (req, res) => {
      const r = await installed(String(req.params.name));
      const meta = {
        name: r.name,
        version: r.version,
        ...(r.description ? { description: r.description } : {}),
        ...(r.author ? { author: r.author } : {}),
        ...(r.source_url ? { url: r.source_url } : {}),
      };
      res.type('application/x-yaml').send(await exportPackage(deps.sections(), meta, r.resources));
    },
  });
  registry.add({
    method: 'delete',
    path: '/api/v1/packages/:name',
    access: { permission: () => 'sinas.packages.delete:all' },
    summary: 'Uninstall a package: deletes exactly the resources it still manages',
    tags,
    params: byName,
    responses: { 204: undefined },
    handler: async (req, res) => {
      await deps.packages.uninstall(String(req.params.name), callerOf(req));
      res.status(204).end();
    },
  });
}
