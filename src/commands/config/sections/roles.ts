/**
 * `spec.roles` (reference §6.3): name, description, emailDomain, permissions as `[{key, value}]`.
 * Applying a role replaces its whole permission set. Members are not part of a role's definition:
 * they come from `spec.users[].roles`.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore, RecordedEvent } from '../../../events/event-store.js';
import { streams } from '../../../events/stream-names.js';
import { upcast } from '../../../events/upcasters.js';
import { foldRecorded } from '../../command-handler.js';
import { roleDecider, type RoleCommand, type RoleState } from '../../identity/identity-deciders.js';
import { ROLE_NAME, type IdentityService } from '../../identity/identity-service.js';
import { isValidPermission } from '../../identity/permissions.js';
import type { ConfigSection, Observation, WriteEnv, PlannedChange } from '../config-section.js';
import { managedByOf } from '../ownership.js';
import type { IdentityCatalog } from './identity-catalog.js';

export interface RoleItem {
  readonly name: string;
  readonly description?: string | null;
  readonly emailDomain?: string | null;
  readonly permissions: readonly { readonly key: string; readonly value: boolean }[];
}

const DEFINES = new Set(['RoleCreated', 'RoleUpdated', 'RolePermissionsChanged', 'RoleDeleted']);

export async function loadRole(
  store: EventStore,
  name: string,
): Promise<{ state: RoleState; revision: bigint | undefined; events: RecordedEvent[] }> {
  const events = (await store.readStream(streams.role(name))).map(upcast);
  const { state, revision } = foldRecorded(roleDecider, events);
  return { state, revision, events };
}

/** Runs commands on one stream in order: the first expects the planned revision, the rest follow it. */
export async function inOrder(
  identity: IdentityService,
  role: string,
  commands: readonly RoleCommand[],
  change: PlannedChange,
  env: WriteEnv,
): Promise<bigint | undefined> {
  let position: bigint | undefined;
  for (const [i, command] of commands.entries()) {
    const base = env.context(change);
    const ctx = {
      ...base,
      commandId: `${base.commandId}:${i}`,
      expectedRevision: i === 0 ? (change.observation.revision ?? -1n) : undefined,
    };
    position = (await identity.role(role, command, ctx)).position ?? position;
  }
  return position;
}

export function rolesSection(
  identity: IdentityService,
  store: EventStore,
  queries: IdentityCatalog,
): ConfigSection<RoleItem> {
  const allRoles = () => queries.roles({ skip: 0, limit: 10_000 });
  const desired = (item: RoleItem) => ({
    description: item.description ?? null,
    emailDomain: item.emailDomain ?? null,
    permissions: Object.fromEntries(item.permissions.map((p) => [p.key, p.value])),
  });
  return {
    name: 'roles',
    resourceType: 'role',
    keyField: 'name',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: ROLE_NAME },
        description: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] },
        emailDomain: {
          anyOf: [{ type: 'string', pattern: '^[a-z0-9.-]+\\.[a-z]{2,}$', maxLength: 253 }, { type: 'null' }],
        },
        permissions: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['key', 'value'],
            properties: { key: { type: 'string', minLength: 1 }, value: { type: 'boolean' } },
          },
        },
      },
    },
    key: (item) => item.name,
    desired,
    check(item, path, env) {
      const seen = new Set<string>();
      for (const [i, p] of item.permissions.entries()) {
        if (!isValidPermission(p.key))
          env.error(`${path}.permissions[${i}].key`, `'${p.key}' is not a permission string`);
        if (seen.has(p.key)) env.error(`${path}.permissions[${i}].key`, `'${p.key}' is listed twice`);
        seen.add(p.key);
      }
    },
    existing: async () => new Set((await allRoles()).map((r) => r.name)),
    async observe(item): Promise<Observation> {
      const { state, revision, events } = await loadRole(store, item.name);
      const managedBy = managedByOf(events, (e) => DEFINES.has(e.type));
      const base = { stream: streams.role(item.name), revision, ...(managedBy ? { managedBy } : {}) };
      if (state.status !== 'active') return { exists: false, ...base };
      const { description, emailDomain, permissions } = state;
      return { exists: true, ...base, fields: { description, emailDomain, permissions } };
    },
    async write(change, env) {
      const item = change.item as RoleItem;
      const d = desired(item);
      const at = new Date().toISOString();
      if (change.action === 'create') {
        const command: RoleCommand = { type: 'CreateRole', roleId: randomUUID(), name: item.name, ...d, at };
        return inOrder(identity, item.name, [command], change, env);
      }
      const current = change.observation.fields as { permissions: Record<string, boolean> };
      const commands: RoleCommand[] = [];
      const changed = change.changes ?? [];
      if (changed.includes('description') || changed.includes('emailDomain'))
        commands.push({ type: 'UpdateRole', description: d.description, emailDomain: d.emailDomain, at });
      if (changed.includes('permissions')) {
        const removed = Object.keys(current.permissions).filter((k) => !(k in d.permissions));
        commands.push({ type: 'ChangePermissions', set: d.permissions, removed, at });
      }
      return inOrder(identity, item.name, commands, change, env);
    },
    async exportAll() {
      return (await allRoles()).map((r) => ({
        name: r.name,
        ...(r.description !== null ? { description: r.description } : {}),
        ...(r.email_domain !== null ? { emailDomain: r.email_domain } : {}),
        permissions: Object.keys(r.permissions)
          .sort()
          .map((key) => ({ key, value: r.permissions[key] })),
      }));
    },
  };
}
