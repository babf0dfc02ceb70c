import { emailDecider, roleDecider, userDecider } from '../../src/commands/identity/identity-deciders.js';
import type { EmailEvent, RoleEvent, UserEvent } from '../../src/events/identity-events.js';
import { asUserId } from '../../src/events/ids.js';
import { deciderSpec } from '../support/decider-spec.js';

const at = '2026-01-01T00:00:00.000Z';
const [u1, u2] = [asUserId('u1'), asUserId('u2')];
const admin = asUserId('admin');

describe('user decider', () => {
  const given = deciderSpec(userDecider);
  const created: UserEvent = {
    type: 'UserCreated',
    data: { userId: 'u1', email: 'a@x.io', by: 'admin', at },
  };
  const deleted: UserEvent = { type: 'UserDeleted', data: { by: 'admin', at } };
  const deactivated: UserEvent = { type: 'UserDeactivated', data: { by: 'admin', at } };
  const create = { type: 'CreateUser', userId: u1, email: 'a@x.io', by: admin, at } as const;

  it('creates a user', () => given([]).when(create).then([created]));
  it('refuses a second creation of one user id', () =>
    given([created]).when(create).thenRefuses('already_exists'));
  it('a deleted user id is not created again', () =>
    given([created, deleted]).when(create).thenRefuses('already_exists'));
  it('deactivates an active user, and reactivates an inactive one', () => {
    given([created]).when({ type: 'SetActive', active: false, by: admin, at }).then([deactivated]);
    given([created, deactivated])
      .when({ type: 'SetActive', active: true, by: admin, at })
      .then([{ type: 'UserReactivated', data: { by: 'admin', at } }]);
  });
  it('setting the state a user is already in is a no-op', () => {
    given([created]).when({ type: 'SetActive', active: true, by: admin, at }).then([]);
    given([created, deactivated]).when({ type: 'SetActive', active: false, by: admin, at }).then([]);
  });
  it('deletes a user, active or not', () => {
    given([created]).when({ type: 'DeleteUser', by: admin, at }).then([deleted]);
    given([created, deactivated]).when({ type: 'DeleteUser', by: admin, at }).then([deleted]);
  });
  it('a user that does not exist, or was deleted, is not found', () => {
    given([]).when({ type: 'SetActive', active: false, by: admin, at }).thenRefuses('not_found');
    given([created, deleted]).when({ type: 'DeleteUser', by: admin, at }).thenRefuses('not_found');
  });
});

describe('email decider', () => {
  const given = deciderSpec(emailDecider);
  const claimed: EmailEvent = { type: 'EmailClaimed', data: { email: 'a@x.io', userId: 'u1', at } };
  const released: EmailEvent = { type: 'EmailReleased', data: { userId: 'u1', at } };
  const claim = (userId = u1) => ({ type: 'ClaimEmail', email: 'a@x.io', userId, at }) as const;

  it('the first claim takes a free address', () => given([]).when(claim()).then([claimed]));
  it("another user's claim is refused naming email", () =>
    given([claimed])
      .when(claim(u2))
      .thenRefuses('already_exists', 'email', /a@x\.io already exists/));
  it("the holder's claim again is a no-op (a retried creation)", () =>
    given([claimed]).when(claim()).then([]));
  it('the holder releases it, and then anyone may claim it', () => {
    given([claimed]).when({ type: 'ReleaseEmail', userId: u1, at }).then([released]);
    given([claimed, released])
      .when(claim(u2))
      .then([{ type: 'EmailClaimed', data: { email: 'a@x.io', userId: 'u2', at } }]);
  });
  it('a release by someone not holding it changes nothing', () => {
    given([claimed]).when({ type: 'ReleaseEmail', userId: u2, at }).then([]);
    given([]).when({ type: 'ReleaseEmail', userId: u1, at }).then([]);
  });
});

describe('role decider', () => {
  const given = deciderSpec(roleDecider);
  const role = (name: string): RoleEvent => ({
    type: 'RoleCreated',
    data: {
      roleId: `r-${name}`,
      name,
      description: 'd',
      emailDomain: null,
      permissions: { 'sinas.chats.read:own': true },
      at,
    },
  });
  const ops = role('Ops');
  const joined: RoleEvent = { type: 'RoleMemberAdded', data: { userId: 'u1', at } };
  const create = (name = 'Ops') =>
    ({
      type: 'CreateRole',
      roleId: `r-${name}`,
      name,
      description: 'd',
      emailDomain: null,
      permissions: { 'sinas.chats.read:own': true },
      at,
    }) as const;

  it('creates a role', () => given([]).when(create()).then([ops]));
  it('refuses a second role of one name, naming name', () =>
    given([ops])
      .when(create())
      .thenRefuses('already_exists', 'name', /'Ops' already exists/));
  it('a deleted role may be created again', () =>
    given([ops, { type: 'RoleDeleted', data: { at } }])
      .when(create())
      .then([ops]));
  it('any other command on a role that does not exist is not found', () =>
    given([]).when({ type: 'AddMember', userId: u1, at }).thenRefuses('not_found'));

  it('an update records only the fields that change', () => {
    given([ops])
      .when({ type: 'UpdateRole', description: 'd', emailDomain: 'x.io', at })
      .then([{ type: 'RoleUpdated', data: { emailDomain: 'x.io', at } }]);
    given([ops])
      .when({ type: 'UpdateRole', description: 'new', at })
      .then([{ type: 'RoleUpdated', data: { description: 'new', at } }]);
  });
  it('an update that changes nothing is a no-op', () =>
    given([ops]).when({ type: 'UpdateRole', description: 'd', emailDomain: null, at }).then([]));

  it('a permission change records only keys set to a new value and keys that exist to remove', () =>
    given([ops])
      .when({
        type: 'ChangePermissions',
        set: { 'sinas.chats.read:own': true, 'sinas.agents.read:all': true },
        removed: ['sinas.chats.read:own', 'sinas.never.held:own'],
        at,
      })
      .then([
        {
          type: 'RolePermissionsChanged',
          data: { set: { 'sinas.agents.read:all': true }, removed: ['sinas.chats.read:own'], at },
        },
      ]));
  it('a permission change that changes nothing is a no-op', () =>
    given([ops])
      .when({ type: 'ChangePermissions', set: { 'sinas.chats.read:own': true }, removed: ['x:own'], at })
      .then([]));
  it('the permission map folds: set keys change, removed keys go', () =>
    given([
      ops,
      {
        type: 'RolePermissionsChanged',
        data: { set: { 'sinas.agents.read:all': true }, removed: ['sinas.chats.read:own'], at },
      },
    ])
      .when({
        type: 'ChangePermissions',
        set: { 'sinas.agents.read:all': true },
        removed: ['sinas.chats.read:own'],
        at,
      })
      .then([]));

  it('adds a member once; adding again is a no-op', () => {
    given([ops]).when({ type: 'AddMember', userId: u1, at }).then([joined]);
    given([ops, joined]).when({ type: 'AddMember', userId: u1, at }).then([]);
  });
  it('removes a member', () =>
    given([ops, joined])
      .when({ type: 'RemoveMember', userId: u1, at })
      .then([{ type: 'RoleMemberRemoved', data: { userId: 'u1', at } }]));
  it('refuses to remove a user who is not a member, naming user_id', () =>
    given([ops, joined, { type: 'RoleMemberRemoved', data: { userId: 'u1', at } }])
      .when({ type: 'RemoveMember', userId: u1, at })
      .thenRefuses('not_found', 'user_id'));

  it('deletes a role', () =>
    given([ops])
      .when({ type: 'DeleteRole', at })
      .then([{ type: 'RoleDeleted', data: { at } }]));
  it('refuses to delete a default role, naming name', () =>
    given([role('Admins')])
      .when({ type: 'DeleteRole', at })
      .thenRefuses('illegal_state', 'name', /'Admins'/));
});
