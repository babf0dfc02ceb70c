/**
 * `GET /api/v1/roles/permissions/reference` and `/defaults` (the console's permission editor): the
 * permission catalogue as the original lists it (`{resource, description, actions, namespaced,
 * adminOnly?}`, scope left to the granter) and the default roles' maps as start-up applies them.
 * The catalogue is public knowledge to any signed-in caller; the defaults are for who manages
 * role permissions.
 */
import { PERMISSION_CATALOGUE, type CatalogueEntry } from '../commands/identity/permissions.js';
import { defaultRoles } from '../commands/identity/default-roles.js';
import { addJsonGet, listOf } from './admin-route.js';
import type { RouteRegistry } from './routes.js';

const tags = ['Roles'];

/** a short label per resource, for the editor (a resource missing here shows its own name) */
const LABELS: Readonly<Record<string, string>> = {
  agents: 'Agents',
  functions: 'Functions',
  skills: 'Skills (instructions agents can load)',
  connectors: 'HTTP connectors',
  manifests: 'Application manifests',
  collections: 'File collections and their files',
  templates: 'Message templates',
  components: 'UI components',
  queries: 'Saved database queries',
  stores: 'Stores and their state',
  webhooks: 'Inbound webhooks',
  schedules: 'Schedules',
  secrets: 'Secrets',
  users: 'Users',
  database_triggers: 'Database change triggers',
  executions: 'Executions and chat messages',
  api_keys: 'API keys',
  logs: 'Request logs',
  roles: 'Roles, their members and permissions',
  database_connections: 'Database connections',
  dependencies: 'Function dependencies',
  llm_providers: 'LLM providers',
  packages: 'Packages',
  config: 'Declarative configuration',
  system: 'Infrastructure: queues, workers, containers',
};

const present = (e: CatalogueEntry) => ({
  resource: e.resource,
  description: LABELS[e.resource] ?? e.resource,
  actions: [...e.actions],
  namespaced: e.namespaced,
  ...(e.adminOnly ? { adminOnly: true } : {}),
});

const permissionMap = { type: 'object', additionalProperties: { type: 'boolean' } };

export function registerPermissionReferenceRoutes(registry: RouteRegistry): void {
  addJsonGet(registry, {
    path: '/api/v1/roles/permissions/reference',
    // which permissions exist is no one's data: any credential may ask
    access: { signedIn: 'any credential' },
    summary:
      'Every permission resource, its actions, whether it is namespaced and whether only `:all` applies',
    tags,
    answers: listOf({
      resource: { type: 'string' },
      description: { type: 'string' },
      actions: { type: 'array', items: { type: 'string' } },
      namespaced: { type: 'boolean' },
      adminOnly: { type: 'boolean' },
    }),
    read: () => PERMISSION_CATALOGUE.map(present),
  });
  addJsonGet(registry, {
    path: '/api/v1/roles/permissions/defaults',
    access: { permission: () => 'sinas.roles.manage_permissions:all' },
    summary: "The default roles' permission maps, as applied at start-up",
    tags,
    answers: { type: 'object', additionalProperties: permissionMap },
    read: () => Object.fromEntries(Object.entries(defaultRoles()).map(([name, r]) => [name, r.permissions])),
  });
}
