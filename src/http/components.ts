/**
 * The Component kind's management routes (reference §5.9): the kit's, with each response showing
 * the build of the current source and a render token; `POST …/compile` to compile again; and the
 * share links of a component (create and revoke need `update` on it, listing needs `read`).
 */
import type { Request } from 'express';
import { NotFoundError } from '../errors.js';
import type { ComponentRuntime } from '../runtime/components/component-wiring.js';
import type { ShareRequest } from '../runtime/components/share-links.js';
import { principalOf } from './auth.js';
import { kindAccess } from './resource-access.js';
import { identityParams, responseSchema, toResponse } from './resource-responses.js';
import { registerResourceRoutes, type Item, type ResourceRouteDeps } from './resources.js';
import type { RouteRegistry } from './routes.js';

type ShareState = Awaited<ReturnType<ComponentRuntime['shares']['create']>>;

const shareSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    token: { type: 'string' },
    component_id: { type: 'string', format: 'uuid' },
    input_data: { type: 'object' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    max_views: { type: ['integer', 'null'] },
    view_count: { type: 'integer' },
    label: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    share_url: { type: 'string' },
  },
};

const shareBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input_data: { type: 'object', maxProperties: 1000 },
    expires_at: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
    max_views: { anyOf: [{ type: 'integer', minimum: 1, maximum: 1_000_000_000 }, { type: 'null' }] },
    label: { anyOf: [{ type: 'string', maxLength: 255 }, { type: 'null' }] },
  },
};

const shareResponse = (s: ShareState) => ({
  id: s.link.id,
  token: s.link.token,
  component_id: s.link.componentId,
  input_data: s.link.inputData,
  expires_at: s.link.expiresAt,
  max_views: s.link.maxViews,
  view_count: s.viewCount,
  label: s.link.label,
  created_at: s.link.createdAt,
  share_url: `/components/shared/${s.link.token}`,
});

export function registerComponentRoutes(
  registry: RouteRegistry,
  d: ResourceRouteDeps & { readonly runtime: ComponentRuntime },
): void {
  const decorate = d.runtime.builds.decoration();
  registerResourceRoutes(registry, { ...d, decorate });
  const kind = d.service.kind;
  const access = kindAccess(kind, d.service, d.queries);
  const item = `/api/v1/${kind.path}/:namespace/:name`;
  const params = identityParams(kind);
  const tags = [kind.tag ?? kind.type];
  const found = async (req: Request, action: string): Promise<Item> => {
    const f = await access.find(req, action);
    if (!f.row) throw new NotFoundError(`component '${f.namespace}/${f.name}' not found`);
    return d.queries.record(kind, f.row);
  };

  registry.add({
    method: 'post',
    path: `${item}/compile`,
    access: access.route('update'),
    summary: "Compile a component's source again (it is pending until a worker compiled it)",
    tags,
    params,
    responses: { 200: responseSchema(kind, decorate.schema) },
    handler: async (req, res) => {
      const c = await found(req, 'update');
      const viewer = principalOf(req).userId;
      await d.runtime.builds.request(c, viewer);
      const extras = (await decorate.of([c.id], [c], viewer)).get(c.id);
      res.json({ ...toResponse(kind, c), ...extras });
    },
  });
  registry.add({
    method: 'post',
    path: `${item}/shares`,
    access: access.route('update'),
    summary: 'Create a share link: it opens the component without signing in, until it expires or is used up',
    tags,
    params,
    body: shareBody,
    responses: { 201: shareSchema },
    handler: async (req, res) => {
      const c = await found(req, 'update');
      const s = await d.runtime.shares.create(c, req.body as ShareRequest, principalOf(req).userId);
      res.status(201).json(shareResponse(s));
    },
  });
  registry.add({
    method: 'get',
    path: `${item}/shares`,
    access: access.route('read'),
    summary: "A component's share links that are not revoked, with their view counts",
    tags,
    params,
    responses: { 200: { type: 'array', items: shareSchema } },
    handler: async (req, res) => {
      const c = await found(req, 'read');
      res.json((await d.runtime.shares.list(c)).map(shareResponse));
    },
  });
  registry.add({
    method: 'delete',
    path: `${item}/shares/:token`,
    access: access.route('update'),
    summary: 'Revoke a share link',
    tags,
    params: { ...params, token: { type: 'string', minLength: 1, maxLength: 200 } },
    responses: { 204: undefined },
    handler: async (req, res) => {
      const c = await found(req, 'update');
      await d.runtime.shares.revoke(c, String(req.params.token), principalOf(req).userId);
      res.status(204).send();
    },
  });
}
