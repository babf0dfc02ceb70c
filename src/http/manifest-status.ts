/**
 * `GET /manifests/{ns}/{name}/status` (reference §5.13, runtime API): whether an application's
 * manifest is satisfied for the caller — which required resources are present or missing, which
 * required and optional permissions the caller holds, and which store dependencies exist. Who may
 * read the manifest may ask; a permission is checked against the caller's own grants (an admin
 * holds all), and a malformed one counts as not held.
 */
import { REQUIRED_RESOURCE_TYPES } from '../commands/manifest/manifest-kind.js';
import { ValidationError } from '../errors.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import { holds } from './auth.js';
import { kindAccess } from './resource-access.js';
import type { ResourceRouteDeps } from './resources.js';
import type { RouteRegistry } from './routes.js';
import type { Request } from 'express';
import type { JSONSchema } from '../commands/validation.js';

interface Required {
  readonly type: string;
  readonly namespace: string;
  readonly name: string;
}
interface StoreDependency {
  readonly store: string;
  readonly key?: string;
}

const split = <T>(items: readonly T[], ok: readonly boolean[]) => ({
  satisfied: items.filter((_, i) => ok[i]),
  missing: items.filter((_, i) => !ok[i]),
});
const list = (items: JSONSchema): JSONSchema => ({
  type: 'object',
  properties: { satisfied: { type: 'array', items }, missing: { type: 'array', items } },
});
const held: JSONSchema = {
  type: 'object',
  properties: {
    granted: { type: 'array', items: { type: 'string' } },
    missing: { type: 'array', items: { type: 'string' } },
  },
};

export function registerManifestStatusRoute(
  registry: RouteRegistry,
  /** `kinds`: the registered kinds by name (`services.kinds`), where a required resource is looked up */
  d: ResourceRouteDeps & { readonly kinds: Readonly<Record<string, { readonly kind: ResourceKind }>> },
): void {
  const kind = d.service.kind;
  const access = kindAccess(kind, d.service, d.queries);
  const exists = async (type: string, namespace: string, name: string) => {
    const registered = REQUIRED_RESOURCE_TYPES[type];
    const service = registered ? d.kinds[registered] : undefined;
    return service ? (await d.queries.get(service.kind, namespace, name)) !== undefined : false;
  };
  registry.add({
    method: 'get',
    path: '/manifests/:namespace/:name/status',
    access: access.route('read'),
    summary: "Whether an application's manifest is satisfied: resources present, your permissions, stores",
    tags: [kind.tag ?? kind.type],
    params: {
      namespace: { type: 'string', pattern: kind.namespacePattern, maxLength: kind.nameMaxLength },
      name: { type: 'string', pattern: kind.namePattern, maxLength: kind.nameMaxLength },
    },
    responses: {
      200: {
        type: 'object',
        properties: {
          namespace: { type: 'string' },
          name: { type: 'string' },
          ready: { type: 'boolean' },
          resources: list({ type: 'object' }),
          permissions: { type: 'object', properties: { required: held, optional: held } },
          stores: list({ type: 'object' }),
        },
      },
    },
    handler: async (req, res) => {
      const found = await access.find(req, 'read');
      const spec = d.queries.record(kind, found.row!).spec as Record<string, unknown>;
      const resources = (spec.required_resources ?? []) as Required[];
      const stores = (spec.store_dependencies ?? []) as StoreDependency[];
      const present = await Promise.all(resources.map((r) => exists(r.type, r.namespace, r.name)));
      const storesFound = await Promise.all(
        stores.map((s) => exists('store', ...(s.store.split('/', 2) as [string, string]))),
      );
      const required = permissions(req, (spec.required_permissions ?? []) as string[]);
      const r = split(resources, present);
      const s = split(stores, storesFound);
      res.json({
        namespace: found.namespace,
        name: found.name,
        ready: r.missing.length === 0 && required.missing.length === 0 && s.missing.length === 0,
        resources: r,
        permissions: { required, optional: permissions(req, (spec.optional_permissions ?? []) as string[]) },
        stores: s,
      });
    },
  });
}

function permissions(req: Request, keys: readonly string[]) {
  const ok = keys.map((k) => {
    try {
      return holds(req, k);
    } catch (err) {
      if (err instanceof ValidationError) return false; // a malformed permission is held by no one
      throw err;
    }
  });
  return { granted: keys.filter((_, i) => ok[i]), missing: keys.filter((_, i) => !ok[i]) };
}
