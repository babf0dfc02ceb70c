/**
 * `spec.users` (reference §6.3): email, isActive, roles (the memberships, replaced as a whole).
 * `permissions` is accepted as the reference does, and unused (a warning says so). A user created by
 * config joins exactly the listed roles (not GuestUsers unless listed).
 */
import type { EventStore } from '../../../events/event-store.js';
import { normalizeEmail } from '../../../events/identity-events.js';
import type { UserId } from '../../../events/ids.js';
import { streams } from '../../../events/stream-names.js';
import { upcast } from '../../../events/upcasters.js';
import { foldRecorded } from '../../command-handler.js';
import { emailDecider, userDecider } from '../../identity/identity-deciders.js';
import { ROLE_NAME, type IdentityService } from '../../identity/identity-service.js';
import type { ConfigSection, Observation, PlanEnv } from '../config-section.js';
import { managedByOf } from '../ownership.js';
import { loadRole } from './roles.js';
import type { IdentityCatalog } from './identity-catalog.js';

export interface UserItem {
  readonly email: string;
  readonly isActive: boolean;
  readonly roles: readonly string[];
  readonly permissions: readonly unknown[];
}

type UserObservation = Observation & { readonly userId?: UserId };

export function usersSection(
  identity: IdentityService,
  store: EventStore,
  queries: IdentityCatalog,
): ConfigSection<UserItem> {
  const allUsers = async () => {
    const out = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await queries.users({ skip, limit: 1000 });
      out.push(...page);
      if (page.length < 1000) return out;
    }
  };
  /** every role's members, from the event store (one read per role, shared by the whole plan) */
  const members = (env: PlanEnv) =>
    env.memo('users:role-members', async () => {
      const out = new Map<string, readonly string[]>();
      for (const r of await queries.roles({ skip: 0, limit: 10_000 })) {
        const { state } = await loadRole(store, r.name);
        if (state.status === 'active') out.set(r.name, state.members);
      }
      return out;
    });
  return {
    name: 'users',
    resourceType: 'user',
    keyField: 'email',
    sets: ['roles'],
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['email'],
      properties: {
        email: { type: 'string', pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$', maxLength: 320 },
        isActive: { type: 'boolean', default: true },
        roles: { type: 'array', items: { type: 'string', pattern: ROLE_NAME }, default: [] },
        permissions: { type: 'array', default: [] },
      },
    },
    key: (item) => normalizeEmail(item.email),
    desired: (item) => ({ isActive: item.isActive, roles: [...new Set(item.roles)] }),
    async check(item, path, env) {
      for (const [i, role] of item.roles.entries())
        if (!(await env.exists('roles', role)))
          env.error(`${path}.roles[${i}]`, `no role '${role}' in the config or on the platform`);
      if (item.permissions.length > 0)
        env.warn(`${path}.permissions`, 'user permissions are accepted but unused: grant them through roles');
    },
    existing: async () => new Set((await allUsers()).map((u) => u.email)),
    async observe(item, env): Promise<UserObservation> {
      const email = normalizeEmail(item.email);
      const claims = (await store.readStream(streams.email(email))).map(upcast);
      const holder = foldRecorded(emailDecider, claims).state.holder;
      if (!holder) return { exists: false, stream: streams.email(email), revision: claims.at(-1)?.revision };
      const events = (await store.readStream(streams.user(holder))).map(upcast);
      const { state, revision } = foldRecorded(userDecider, events);
      const managedBy = managedByOf(events);
      const base = {
        stream: streams.user(holder),
        revision,
        userId: holder,
        ...(managedBy ? { managedBy } : {}),
      };
      if (state.status !== 'active' && state.status !== 'inactive') return { exists: false, ...base };
      const roles = [...(await members(env))].filter(([, m]) => m.includes(holder)).map(([name]) => name);
      return { exists: true, ...base, fields: { isActive: state.status === 'active', roles } };
    },
    async write(change, env) {
      const item = change.item as UserItem;
      const obs = change.observation as UserObservation;
      const base = env.context(change);
      const ctx = (step: string) => ({ ...base, commandId: `${base.commandId}:${step}` });
      const at = new Date().toISOString();
      let position: bigint | undefined;
      let userId = obs.userId;
      let current: string[] = [];
      if (change.action === 'create') {
        const r = await identity.createUser(item.email, ctx('create'), undefined, { joinGuests: false });
        userId = r.userId;
        position = r.position;
      } else {
        current = [...((obs.fields?.roles as string[] | undefined) ?? [])];
        const r = await identity.userCommand(
          userId!,
          { type: 'SetActive', active: item.isActive, by: base.actor, at },
          { ...ctx('active'), expectedRevision: obs.revision },
        );
        position = r.position ?? position;
      }
      if (change.action === 'create' && !item.isActive) {
        const r = await identity.userCommand(
          userId!,
          { type: 'SetActive', active: false, by: base.actor, at },
          ctx('active'),
        );
        position = r.position ?? position;
      }
      for (const role of item.roles.filter((r) => !current.includes(r))) {
        const r = await identity.role(role, { type: 'AddMember', userId: userId!, at }, ctx(`join:${role}`));
        position = r.position ?? position;
      }
      for (const role of current.filter((r) => !item.roles.includes(r))) {
        const r = await identity.role(
          role,
          { type: 'RemoveMember', userId: userId!, at },
          ctx(`leave:${role}`),
        );
        position = r.position ?? position;
      }
      return position;
    },
    async exportAll() {
      return (await allUsers()).map((u) => ({
        email: u.email,
        ...(u.active ? {} : { isActive: false }),
        roles: [...u.roles].sort(),
      }));
    },
  };
}
