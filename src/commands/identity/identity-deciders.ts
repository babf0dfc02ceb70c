/** Deciders of users, email claims and roles (DESIGN §5): pure decide/evolve. */
import { AlreadyExistsError, IllegalStateError, NotFoundError } from '../../errors.js';
import type { EmailEvent, PermissionMap, RoleEvent, UserEvent } from '../../events/identity-events.js';
import { asUserId, type UserId } from '../../events/ids.js';
import type { Decider } from '../decider.js';

export type UserCommand =
  | {
      readonly type: 'CreateUser';
      readonly userId: UserId;
      readonly email: string;
      readonly by: string;
      readonly at: string;
    }
  | { readonly type: 'SetActive'; readonly active: boolean; readonly by: string; readonly at: string }
  | { readonly type: 'DeleteUser'; readonly by: string; readonly at: string };

export type UserState =
  | { readonly status: 'absent' | 'deleted' }
  | { readonly status: 'active' | 'inactive'; readonly userId: UserId; readonly email: string };

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: { status: 'absent' },
  decide(c, s) {
    if (c.type === 'CreateUser') {
      if (s.status !== 'absent') throw new AlreadyExistsError('user already exists');
      return [{ type: 'UserCreated', data: { userId: c.userId, email: c.email, by: c.by, at: c.at } }];
    }
    if (s.status === 'absent' || s.status === 'deleted') throw new NotFoundError('user not found');
    if (c.type === 'DeleteUser') return [{ type: 'UserDeleted', data: { by: c.by, at: c.at } }];
    if ((s.status === 'active') === c.active) return [];
    return [{ type: c.active ? 'UserReactivated' : 'UserDeactivated', data: { by: c.by, at: c.at } }];
  },
  evolve(s, e) {
    switch (e.type) {
      case 'UserCreated':
        return { status: 'active', userId: asUserId(e.data.userId), email: e.data.email };
      case 'UserDeactivated':
        return s.status === 'active' ? { ...s, status: 'inactive' } : s;
      case 'UserReactivated':
        return s.status === 'inactive' ? { ...s, status: 'active' } : s;
      case 'UserDeleted':
        return { status: 'deleted' };
    }
  },
};

export type EmailCommand =
  | { readonly type: 'ClaimEmail'; readonly email: string; readonly userId: UserId; readonly at: string }
  | { readonly type: 'ReleaseEmail'; readonly userId: UserId; readonly at: string };

export type EmailState = { readonly holder: UserId | null };

export const emailDecider: Decider<EmailCommand, EmailEvent, EmailState> = {
  initialState: { holder: null },
  decide(c, s) {
    if (c.type === 'ClaimEmail') {
      if (s.holder === c.userId) return [];
      if (s.holder !== null)
        throw new AlreadyExistsError(`a user with email ${c.email} already exists`, 'email');
      return [{ type: 'EmailClaimed', data: { email: c.email, userId: c.userId, at: c.at } }];
    }
    if (s.holder !== c.userId) return [];
    return [{ type: 'EmailReleased', data: { userId: c.userId, at: c.at } }];
  },
  evolve(_s, e) {
    return { holder: e.type === 'EmailClaimed' ? asUserId(e.data.userId) : null };
  },
};

export type RoleCommand =
  | {
      readonly type: 'CreateRole';
      readonly roleId: string;
      readonly name: string;
      readonly description: string | null;
      readonly emailDomain: string | null;
      readonly permissions: PermissionMap;
      readonly at: string;
    }
  | {
      readonly type: 'UpdateRole';
      readonly description?: string | null;
      readonly emailDomain?: string | null;
      readonly at: string;
    }
  | {
      readonly type: 'ChangePermissions';
      readonly set: PermissionMap;
      readonly removed: readonly string[];
      readonly at: string;
    }
  | { readonly type: 'AddMember'; readonly userId: UserId; readonly at: string }
  | { readonly type: 'RemoveMember'; readonly userId: UserId; readonly at: string }
  | { readonly type: 'DeleteRole'; readonly at: string };

export type RoleState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active';
      readonly roleId: string;
      readonly name: string;
      readonly description: string | null;
      readonly emailDomain: string | null;
      readonly permissions: PermissionMap;
      readonly members: readonly string[];
    };

type ActiveRole = Extract<RoleState, { status: 'active' }>;

export const roleDecider: Decider<RoleCommand, RoleEvent, RoleState> = {
  initialState: { status: 'absent' },
  decide(c, s): readonly RoleEvent[] {
    if (c.type === 'CreateRole') {
      if (s.status !== 'absent') throw new AlreadyExistsError(`role '${c.name}' already exists`, 'name');
      const { type: _t, ...data } = c;
      return [{ type: 'RoleCreated', data }];
    }
    if (s.status === 'absent') throw new NotFoundError('role not found');
    switch (c.type) {
      case 'UpdateRole': {
        const changed: { description?: string | null; emailDomain?: string | null } = {};
        if (c.description !== undefined && c.description !== s.description)
          changed.description = c.description;
        if (c.emailDomain !== undefined && c.emailDomain !== s.emailDomain)
          changed.emailDomain = c.emailDomain;
        return Object.keys(changed).length ? [{ type: 'RoleUpdated', data: { ...changed, at: c.at } }] : [];
      }
      case 'ChangePermissions': {
        const set = Object.fromEntries(Object.entries(c.set).filter(([k, v]) => s.permissions[k] !== v));
        const removed = c.removed.filter((k) => k in s.permissions);
        if (Object.keys(set).length === 0 && removed.length === 0) return [];
        return [{ type: 'RolePermissionsChanged', data: { set, removed, at: c.at } }];
      }
      case 'AddMember':
        return s.members.includes(c.userId)
          ? []
          : [{ type: 'RoleMemberAdded', data: { userId: c.userId, at: c.at } }];
      case 'RemoveMember':
        if (!s.members.includes(c.userId))
          throw new NotFoundError('the user is not a member of this role', 'user_id');
        return [{ type: 'RoleMemberRemoved', data: { userId: c.userId, at: c.at } }];
      case 'DeleteRole':
        if (DEFAULT_ROLE_NAMES.includes(s.name))
          throw new IllegalStateError(`the default role '${s.name}' cannot be deleted`, 'name');
        return [{ type: 'RoleDeleted', data: { at: c.at } }];
    }
  },
  evolve(s, e): RoleState {
    if (e.type === 'RoleCreated') return { status: 'active', ...e.data, members: [] };
    if (s.status !== 'active') return s;
    const r: ActiveRole = s;
    switch (e.type) {
      case 'RoleUpdated':
        return {
          ...r,
          ...(e.data.description !== undefined ? { description: e.data.description } : {}),
          ...(e.data.emailDomain !== undefined ? { emailDomain: e.data.emailDomain } : {}),
        };
      case 'RolePermissionsChanged': {
        const permissions: Record<string, boolean> = { ...r.permissions, ...e.data.set };
        for (const k of e.data.removed) delete permissions[k];
        return { ...r, permissions };
      }
      case 'RoleMemberAdded':
        return { ...r, members: [...r.members, e.data.userId] };
      case 'RoleMemberRemoved':
        return { ...r, members: r.members.filter((m) => m !== e.data.userId) };
      case 'RoleDeleted':
        return { status: 'absent' };
    }
  },
};

export const DEFAULT_ROLE_NAMES = ['GuestUsers', 'Users', 'Admins', 'Auditors'];
