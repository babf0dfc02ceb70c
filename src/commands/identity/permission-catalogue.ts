/**
 * The permission catalogue (reference §1.6) and the default roles (§1.5), as data. The role maps are exactly
 * the reference's lists; the reference's create quirk is fixed where create is checked (`requiredForCreate`
 * in permissions.ts), not by adding keys here.
 */
import type { PermissionMap } from './permissions.js';

export interface CatalogueEntry {
  readonly resource: string;
  readonly actions: readonly string[];
  /** Items are addressed as `sinas.<resource>/<namespace>/<name>`. */
  readonly namespaced: boolean;
  readonly adminOnly: boolean;
}

const CRUD = ['create', 'read', 'update', 'delete'] as const;

function entries(
  resources: readonly string[],
  actions: readonly string[],
  namespaced: boolean,
  adminOnly = false,
): CatalogueEntry[] {
  return resources.map((resource) =>
    Object.freeze({ resource, actions: Object.freeze([...actions]), namespaced, adminOnly }),
  );
}

export const PERMISSION_CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  ...entries(['agents'], [...CRUD, 'chat'], true),
  ...entries(['functions'], [...CRUD, 'execute', 'shared_pool'], true),
  ...entries(['skills', 'connectors', 'manifests'], CRUD, true),
  ...entries(['collections'], [...CRUD, 'upload', 'download', 'list', 'delete_files'], true),
  ...entries(['templates'], [...CRUD, 'render', 'send'], true),
  ...entries(['components'], CRUD, true),
  ...entries(['queries'], [...CRUD, 'execute'], true),
  ...entries(['stores'], [...CRUD, 'write_state', 'read_state'], true),
  ...entries(['webhooks', 'schedules', 'secrets', 'users', 'database_triggers'], CRUD, false),
  ...entries(['executions'], ['read', 'update'], false),
  ...entries(['api_keys'], ['create', 'read', 'delete'], false),
  ...entries(['logs'], ['read'], false),
  ...entries(['roles'], [...CRUD, 'manage_members', 'manage_permissions'], false, true),
  ...entries(['database_connections'], [...CRUD, 'schema', 'schema_destroy', 'data'], false, true),
  ...entries(['dependencies'], ['install', 'read', 'delete'], false, true),
  ...entries(['llm_providers'], CRUD, false, true),
  ...entries(['packages'], ['create', 'install', 'read', 'delete'], false, true),
  ...entries(['config'], ['validate', 'apply', 'read'], false, true),
  ...entries(['system'], ['read', 'update'], false, true),
]);

/** `grants('secrets', 'read:own', 'read:all')` → `['sinas.secrets.read:own', 'sinas.secrets.read:all']`. */
function grants(resource: string, ...actionScopes: string[]): string[] {
  return actionScopes.map((as) => `sinas.${resource}.${as}`);
}

function own(resource: string, ...actions: string[]): string[] {
  return grants(resource, ...actions.map((a) => `${a}:own`));
}

function roleMap(keys: readonly string[]): PermissionMap {
  return Object.freeze(Object.fromEntries(keys.map((k) => [k, true])));
}

export type DefaultRoleName = 'GuestUsers' | 'Users' | 'Admins';

export const DEFAULT_ROLES: Readonly<Record<DefaultRoleName, PermissionMap>> = Object.freeze({
  GuestUsers: roleMap(own('users', 'read', 'update')),
  Users: roleMap([
    ...grants('agents/*/*', 'create:own', 'read:all', 'update:own', 'delete:own', 'chat:all'),
    ...own('functions/*/*', ...CRUD, 'execute'),
    ...own('skills/*/*', ...CRUD),
    ...grants('manifests/*/*', 'create:own', 'read:all', 'update:own', 'delete:own'),
    ...own('collections/*/*', ...CRUD, 'upload', 'download', 'list', 'delete_files'),
    ...own('components/*/*', 'read'),
    ...own('queries/*/*', 'read'),
    ...own('stores/*/*', 'read', 'read_state', 'write_state'),
    ...own('database_triggers', 'read'),
    ...own('connectors/*/*', ...CRUD),
    ...own('secrets', ...CRUD),
    ...own('webhooks', ...CRUD),
    ...own('schedules', ...CRUD),
    // beyond the reference's list: continuing or cancelling one's own paused execution needs update:own
    ...own('executions', 'read', 'update'),
    ...own('users', 'read', 'update'),
    ...own('api_keys', 'create', 'read', 'delete'),
    ...own('templates/*/*', ...CRUD, 'render', 'send'),
    ...own('logs', 'read'),
  ]),
  Admins: roleMap(['sinas.*:all']),
});
