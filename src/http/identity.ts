/**
 * Users and roles (reference §5.13, §1.5–§1.6): `/api/v1/users`, `/api/v1/roles` with members and
 * permissions, and `/auth/me`. Writes go through the identity aggregates; reads come from the
 * identity read model after read-your-writes. Deactivating or deleting a user revokes their
 * credentials before answering (a worker's reactor does it too, for every other path).
 */
import type { Request, Response } from 'express';
import type { IdentityService, Unstamped } from '../commands/identity/identity-service.js';
import type { RoleCommand } from '../commands/identity/identity-deciders.js';
import { ROLE_NAME } from '../commands/identity/identity-service.js';
import { asUserId } from '../commands/ids.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { IdentityQueries, RoleRow, UserRow } from '../projections/identity-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import { holds, principalOf } from './auth.js';
import { commandIdOf } from './idempotency.js';
import { queryOf, type RouteRegistry } from './routes.js';
import { readYourWrites } from './read-your-writes.js';

export interface IdentityRouteDeps {
  readonly identity: IdentityService;
  readonly queries: IdentityQueries;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  /** checks a permission string's grammar (throws ValidationError naming `field`) */
  readonly checkPermission: (permission: string, field: string) => void;
  /** kills every credential the user holds now (API keys, refresh and access tokens), in every process */
  readonly revokeCredentials: (
    userId: string,
    by: string,
    reason: 'user_deactivated' | 'user_deleted',
  ) => Promise<void>;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const userResponse = (u: UserRow) => ({
  id: u.id,
  email: u.email,
  active: u.active,
  last_login_at: iso(u.last_login_at),
  created_at: iso(u.created_at),
  roles: u.roles,
});
const roleResponse = (r: RoleRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  email_domain: r.email_domain,
  permissions: r.permissions,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
  version: Number(r.version),
});
const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    active: { type: 'boolean' },
    last_login_at: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
  },
};
const roleSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    email_domain: { type: ['string', 'null'] },
    permissions: { type: 'object', additionalProperties: { type: 'boolean' } },
  },
};
const roleParam = { name: { type: 'string', pattern: ROLE_NAME, maxLength: 100 } };
const userParam = { user_id: { type: 'string', minLength: 1, maxLength: 200 } };
const page = {
  skip: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
};
/** the email domain whose users join a role; the console's role form sends '' for none */
const DOMAIN = { type: ['string', 'null'], pattern: '^$|^[a-z0-9.-]+\\.[a-z]{2,}$', maxLength: 253 };
const domainOrNone = (d: string | null | undefined) => (d === '' ? null : d);

export function registerIdentityRoutes(registry: RouteRegistry, d: IdentityRouteDeps): void {
  const ctx = (req: Request) => ({ commandId: commandIdOf(req), actor: principalOf(req).userId });
  const consistent = (position: bigint | undefined, res: Response) =>
    readYourWrites(d, ['identity'], position, res);
  /** Runs a command on the role named in the path and waits for the read model to show it. */
  const onRole = async (req: Request, res: Response, command: Unstamped<RoleCommand>) => {
    const r = await d.identity.changeRole(req.params.name as string, command, ctx(req));
    await consistent(r.position, res);
  };
  const roleOf = async (req: Request) => {
    const r = await d.queries.role(req.params.name as string);
    if (!r) throw new NotFoundError(`role '${req.params.name}' not found`);
    return r;
  };

  registry.add({
    method: 'get',
    path: '/auth/me',
    access: { signedIn: ['sinas.users.read:own'] },
    summary: 'The caller: id, email, roles and effective permissions',
    tags: ['Auth'],
    responses: { 200: userSchema },
    handler: async (req, res) => {
      const p = principalOf(req);
      const u = await d.queries.user(p.userId);
      const { permissions } = await d.queries.permissionsOf(p.userId);
      res.json({
        ...(u
          ? userResponse(u)
          : { id: p.userId, email: null, active: true, last_login_at: null, created_at: null, roles: [] }),
        is_admin: p.isAdmin,
        permissions,
      });
    },
  });

  registry.add({
    method: 'post',
    path: '/auth/check-permissions',
    access: { signedIn: 'any credential' },
    summary: 'Whether the caller holds each permission (AND or OR over them)',
    tags: ['Auth'],
    body: {
      type: 'object',
      required: ['permissions'],
      additionalProperties: false,
      properties: {
        permissions: { type: 'array', minItems: 1, maxItems: 200, items: { type: 'string', maxLength: 500 } },
        logic: { type: 'string', enum: ['AND', 'OR'] },
      },
    },
    responses: {
      200: {
        type: 'object',
        properties: {
          result: { type: 'boolean' },
          logic: { type: 'string' },
          checks: { type: 'array', items: { type: 'object' } },
        },
      },
    },
    handler: async (req, res) => {
      const b = req.body as { permissions: string[]; logic?: 'AND' | 'OR' };
      b.permissions.forEach((p, i) => d.checkPermission(p, `permissions.${i}`));
      const checks = b.permissions.map((permission) => ({
        permission,
        has_permission: holds(req, permission),
      }));
      const logic = b.logic ?? 'AND';
      const result =
        logic === 'AND' ? checks.every((c) => c.has_permission) : checks.some((c) => c.has_permission);
      res.json({ result, logic, checks });
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/users',
    access: { permission: () => 'sinas.users.read:all' },
    summary: 'Users, oldest first (search matches the email)',
    tags: ['Users'],
    query: { ...page, search: { type: 'string', maxLength: 320 } },
    responses: { 200: { type: 'array', items: userSchema } },
    handler: async (req, res) => {
      const q = queryOf(req) as { skip: number; limit: number; search?: string };
      res.json((await d.queries.users(q)).map(userResponse));
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/users',
    access: { permission: () => 'sinas.users.create:all' },
    summary: 'Create a user (they join GuestUsers); 409 when the email is taken',
    tags: ['Users'],
    body: {
      type: 'object',
      required: ['email'],
      additionalProperties: false,
      properties: { email: { type: 'string', minLength: 3, maxLength: 320 } },
    },
    responses: { 201: userSchema },
    handler: async (req, res) => {
      const r = await d.identity.createUser((req.body as { email: string }).email, ctx(req));
      await consistent(r.position, res);
      const u = await d.queries.user(r.userId);
      res.status(201).json(u ? userResponse(u) : { id: r.userId });
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/users/:user_id',
    access: {
      permission: (req) =>
        req.params.user_id === principalOf(req).userId ? 'sinas.users.read:own' : 'sinas.users.read:all',
    },
    summary: 'One user with their roles',
    tags: ['Users'],
    params: userParam,
    responses: { 200: userSchema },
    handler: async (req, res) => {
      const u = await d.queries.user(req.params.user_id as string);
      if (!u) throw new NotFoundError('user not found');
      res.json(userResponse(u));
    },
  });
  registry.add({
    method: 'patch',
    path: '/api/v1/users/:user_id',
    access: { permission: () => 'sinas.users.update:all' },
    summary: 'Deactivate or reactivate a user (`active`)',
    tags: ['Users'],
    params: userParam,
    body: { type: 'object', additionalProperties: false, properties: { active: { type: 'boolean' } } },
    responses: { 200: userSchema },
    handler: async (req, res) => {
      const id = asUserId(req.params.user_id as string);
      const body = req.body as { active?: boolean };
      if (body.active !== undefined) {
        const r = await d.identity.changeUser(
          id,
          {
            type: 'SetActive',
            active: body.active,
            by: principalOf(req).userId,
          },
          ctx(req),
        );
        await consistent(r.position, res);
        if (!body.active) await d.revokeCredentials(id, principalOf(req).userId, 'user_deactivated');
      }
      const u = await d.queries.user(id);
      if (!u) throw new NotFoundError('user not found');
      res.json(userResponse(u));
    },
  });
  registry.add({
    method: 'delete',
    path: '/api/v1/users/:user_id',
    access: { permission: () => 'sinas.users.delete:all' },
    summary: 'Delete a user (not yourself); their email can be used again',
    tags: ['Users'],
    params: userParam,
    responses: { 204: undefined },
    handler: async (req, res) => {
      const id = asUserId(req.params.user_id as string);
      const position = await d.identity.deleteUser(id, ctx(req));
      await consistent(position, res);
      await d.revokeCredentials(id, principalOf(req).userId, 'user_deleted');
      res.status(204).send();
    },
  });

  registry.add({
    method: 'get',
    path: '/api/v1/roles',
    // reference §1.7 as the original: every role to `read:all`, else the roles the caller is in
    access: { signedIn: ['sinas.users.read:own', 'sinas.roles.read:own'] },
    summary: "Roles with their permission maps (without `sinas.roles.read:all`: the caller's own roles)",
    tags: ['Roles'],
    query: page,
    responses: { 200: { type: 'array', items: roleSchema } },
    handler: async (req, res) => {
      const q = queryOf(req) as { skip: number; limit: number };
      const memberOf = holds(req, 'sinas.roles.read:all') ? undefined : principalOf(req).userId;
      res.json((await d.queries.roles({ ...q, memberOf })).map(roleResponse));
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/roles',
    access: { permission: () => 'sinas.roles.create:all' },
    summary: 'Create a role',
    tags: ['Roles'],
    body: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: ROLE_NAME, maxLength: 100 },
        description: { type: ['string', 'null'], maxLength: 2000 },
        email_domain: DOMAIN,
        permissions: { type: 'object', additionalProperties: { type: 'boolean' }, default: {} },
      },
    },
    responses: { 201: roleSchema },
    handler: async (req, res) => {
      const b = req.body as {
        name: string;
        description?: string | null;
        email_domain?: string | null;
        permissions?: Record<string, boolean>;
      };
      const permissions = b.permissions ?? {};
      for (const k of Object.keys(permissions)) d.checkPermission(k, `permissions.${k}`);
      const r = await d.identity.changeRole(
        b.name,
        {
          type: 'CreateRole',
          name: b.name,
          description: b.description ?? null,
          emailDomain: domainOrNone(b.email_domain) ?? null,
          permissions,
        },
        ctx(req),
      );
      await consistent(r.position, res);
      res.status(201).json(roleResponse((await d.queries.role(b.name))!));
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/roles/:name',
    access: { signedIn: ['sinas.users.read:own', 'sinas.roles.read:own'] },
    summary: 'One role (`version=N`: as it was at that version, the first being 1, with its members then)',
    tags: ['Roles'],
    params: roleParam,
    query: { version: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    responses: { 200: roleSchema },
    handler: async (req, res) => {
      const role = await roleOf(req);
      // reference §1.7: read:all, or membership of the role
      if (!holds(req, 'sinas.roles.read:all')) {
        const mine = await d.queries.rolesOf(principalOf(req).userId);
        if (!mine.includes(role.name)) throw new ForbiddenError('Not authorized to read this role');
      }
      const version = queryOf(req).version as number | undefined;
      if (version === undefined) {
        res.json(roleResponse(role));
        return;
      }
      const then = await d.identity.roleAt(role.name, version);
      if (!then) throw new NotFoundError(`the role has no version ${version}`, 'version');
      res.json(
        then.status === 'active'
          ? {
              id: then.roleId,
              name: then.name,
              description: then.description,
              email_domain: then.emailDomain,
              permissions: then.permissions,
              members: then.members,
              version,
            }
          : { name: role.name, deleted: true, version },
      );
    },
  });
  registry.add({
    method: 'patch',
    path: '/api/v1/roles/:name',
    access: { permission: () => 'sinas.roles.update:all' },
    summary: "Change a role's description or email domain (`name`, if sent, must be its name)",
    tags: ['Roles'],
    params: roleParam,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // the console's role form sends its name back; a role is named for good (its stream is)
        name: { type: 'string', maxLength: 100 },
        description: { type: ['string', 'null'], maxLength: 2000 },
        email_domain: DOMAIN,
      },
    },
    responses: { 200: roleSchema },
    handler: async (req, res) => {
      const b = req.body as { name?: string; description?: string | null; email_domain?: string | null };
      if (b.name !== undefined && b.name !== req.params.name)
        throw new ValidationError('name: a role cannot be renamed; create one with the new name', 'name');
      await onRole(req, res, {
        type: 'UpdateRole',
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.email_domain !== undefined ? { emailDomain: domainOrNone(b.email_domain) } : {}),
      });
      res.json(roleResponse(await roleOf(req)));
    },
  });
  registry.add({
    method: 'delete',
    path: '/api/v1/roles/:name',
    access: { permission: () => 'sinas.roles.delete:all' },
    summary: 'Delete a role (the default roles cannot be deleted)',
    tags: ['Roles'],
    params: roleParam,
    responses: { 204: undefined },
    handler: async (req, res) => {
      await onRole(req, res, { type: 'DeleteRole' });
      res.status(204).send();
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/roles/:name/members',
    access: { permission: () => 'sinas.roles.manage_members:all' },
    summary: "A role's members",
    tags: ['Roles'],
    params: roleParam,
    responses: { 200: { type: 'array', items: { type: 'object' } } },
    handler: async (req, res) => {
      const role = await roleOf(req);
      const members = await d.queries.members(role.name);
      res.json(
        members.map((m) => ({
          id: `${role.id}:${m.user_id}`,
          role_id: role.id,
          user_id: m.user_id,
          user_email: m.email,
          active: m.active ?? false,
          added_at: iso(m.added_at),
        })),
      );
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/roles/:name/members',
    access: { permission: () => 'sinas.roles.manage_members:all' },
    summary: 'Add a user to a role',
    tags: ['Roles'],
    params: roleParam,
    body: {
      type: 'object',
      required: ['user_id'],
      additionalProperties: false,
      properties: { user_id: { type: 'string', minLength: 1, maxLength: 200 } },
    },
    responses: { 201: { type: 'object' } },
    handler: async (req, res) => {
      const userId = asUserId((req.body as { user_id: string }).user_id);
      const r = await d.identity.addMember(req.params.name as string, userId, ctx(req));
      await consistent(r.position, res);
      res.status(201).json({ role: req.params.name, user_id: userId });
    },
  });
  registry.add({
    method: 'delete',
    path: '/api/v1/roles/:name/members/:user_id',
    access: { permission: () => 'sinas.roles.manage_members:all' },
    summary: 'Remove a user from a role',
    tags: ['Roles'],
    params: { ...roleParam, ...userParam },
    responses: { 204: undefined },
    handler: async (req, res) => {
      await onRole(req, res, {
        type: 'RemoveMember',
        userId: asUserId(req.params.user_id as string),
      });
      res.status(204).send();
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/roles/:name/permissions',
    access: { permission: () => 'sinas.roles.manage_permissions:all' },
    summary: "A role's permission entries",
    tags: ['Roles'],
    params: roleParam,
    responses: { 200: { type: 'array', items: { type: 'object' } } },
    handler: async (req, res) => {
      const role = await roleOf(req);
      res.json(
        Object.entries(role.permissions).map(([key, value]) => ({
          id: `${role.id}:${key}`,
          role_id: role.id,
          permission_key: key,
          permission_value: value,
          updated_at: iso(role.updated_at),
        })),
      );
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/roles/:name/permissions',
    access: { permission: () => 'sinas.roles.manage_permissions:all' },
    summary: 'Set one permission of a role (upsert)',
    tags: ['Roles'],
    params: roleParam,
    body: {
      type: 'object',
      required: ['permission_key', 'permission_value'],
      additionalProperties: false,
      properties: {
        permission_key: { type: 'string', minLength: 1, maxLength: 500 },
        permission_value: { type: 'boolean' },
      },
    },
    responses: { 200: roleSchema },
    handler: async (req, res) => {
      const b = req.body as { permission_key: string; permission_value: boolean };
      d.checkPermission(b.permission_key, 'permission_key');
      await onRole(req, res, {
        type: 'ChangePermissions',
        set: { [b.permission_key]: b.permission_value },
        removed: [],
      });
      res.json(roleResponse(await roleOf(req)));
    },
  });
  registry.add({
    method: 'delete',
    path: '/api/v1/roles/:name/permissions',
    access: { permission: () => 'sinas.roles.manage_permissions:all' },
    summary: 'Remove one permission from a role',
    tags: ['Roles'],
    params: roleParam,
    query: { permission_key: { type: 'string', minLength: 1, maxLength: 500 } },
    responses: { 204: undefined },
    handler: async (req, res) => {
      const key = queryOf(req).permission_key as string | undefined;
      if (!key) throw new ValidationError('permission_key: required', 'permission_key');
      await onRole(req, res, {
        type: 'ChangePermissions',
        set: {},
        removed: [key],
      });
      res.status(204).send();
    },
  });
}
