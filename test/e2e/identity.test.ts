/** Users and roles over HTTP: unique emails (race-free), default roles, members, permission entries. */
import { expect } from 'chai';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

describe('users and roles', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => t?.stop());

  it('has the default roles, and the bootstrap admin is an Admin', async () => {
    const roles = await (await t.api('/api/v1/roles')).json();
    expect(roles.map((r: { name: string }) => r.name)).to.include.members(['Admins', 'GuestUsers', 'Users']);
    const admins = roles.find((r: { name: string }) => r.name === 'Admins');
    expect(admins.permissions['sinas.*:all']).to.equal(true);
    const me = await (await t.api('/auth/me')).json();
    expect(me.roles).to.include('Admins');
    expect(me.permissions['sinas.*:all']).to.equal(true);
  });

  it('creates a user who joins GuestUsers; the same email again is a 409', async () => {
    const r = await t.api('/api/v1/users', { method: 'POST', json: { email: '  Ada@Example.com ' } });
    expect(r.status).to.equal(201);
    const u = await r.json();
    expect(u).to.include({ email: 'ada@example.com' });
    expect(u.roles).to.deep.equal(['GuestUsers']);
    const again = await t.api('/api/v1/users', { method: 'POST', json: { email: 'ada@example.com' } });
    expect(again.status).to.equal(409);
    expect((await again.json()).field).to.equal('email');
    const bad = await t.api('/api/v1/users', { method: 'POST', json: { email: 'not-an-email' } });
    expect(bad.status).to.equal(400);
  });

  it('twenty concurrent creates of one email make one user', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.api('/api/v1/users', { method: 'POST', json: { email: 'race@example.com' } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).to.have.length(1);
    expect(results.filter((r) => r.status === 409)).to.have.length(19);
    const users = await (await t.api('/api/v1/users?search=race@')).json();
    expect(users).to.have.length(1);
  });

  it('manages roles, members and permission entries; bad keys are a 400 and change nothing', async () => {
    const created = await t.api('/api/v1/roles', {
      method: 'POST',
      json: {
        name: 'Support',
        description: 'support desk',
        permissions: { 'sinas.agents/support/*.chat:all': true },
      },
    });
    expect(created.status).to.equal(201);
    const user = await (
      await t.api('/api/v1/users', { method: 'POST', json: { email: 'sam@example.com' } })
    ).json();
    expect(
      (await t.api('/api/v1/roles/Support/members', { method: 'POST', json: { user_id: user.id } })).status,
    ).to.equal(201);
    const unknownUser = await t.api('/api/v1/roles/Support/members', {
      method: 'POST',
      json: { user_id: 'nobody' },
    });
    expect(unknownUser.status).to.equal(404);
    const members = await (await t.api('/api/v1/roles/Support/members')).json();
    expect(members.map((m: { user_email: string }) => m.user_email)).to.deep.equal(['sam@example.com']);

    const set = await t.api('/api/v1/roles/Support/permissions', {
      method: 'POST',
      json: { permission_key: 'sinas.executions.read:own', permission_value: true },
    });
    expect(set.status).to.equal(200);
    const malformed = await t.api('/api/v1/roles/Support/permissions', {
      method: 'POST',
      json: { permission_key: 'sinas.executions.read', permission_value: true },
    });
    expect(malformed.status).to.equal(400);
    expect((await malformed.json()).field).to.equal('permission_key');
    const perms = await (await t.api('/api/v1/roles/Support/permissions')).json();
    expect(perms.map((p: { permission_key: string }) => p.permission_key).sort()).to.deep.equal([
      'sinas.agents/support/*.chat:all',
      'sinas.executions.read:own',
    ]);
    const removed = await t.api(
      '/api/v1/roles/Support/permissions?permission_key=sinas.executions.read:own',
      {
        method: 'DELETE',
      },
    );
    expect(removed.status).to.equal(204);
    const u = await (await t.api(`/api/v1/users/${user.id}`)).json();
    expect(u.roles).to.deep.equal(['GuestUsers', 'Support']);

    expect((await t.api(`/api/v1/roles/Support/members/${user.id}`, { method: 'DELETE' })).status).to.equal(
      204,
    );
    expect((await t.api('/api/v1/roles/Support', { method: 'DELETE' })).status).to.equal(204);
    expect((await t.api('/api/v1/roles/Support')).status).to.equal(404);
    expect((await t.api('/api/v1/roles/Admins', { method: 'DELETE' })).status).to.equal(409);
  });

  it('deletes a user (not oneself); the email can be used again', async () => {
    const me = await (await t.api('/auth/me')).json();
    expect((await t.api(`/api/v1/users/${me.id}`, { method: 'DELETE' })).status).to.equal(400);
    const u = await (
      await t.api('/api/v1/users', { method: 'POST', json: { email: 'gone@example.com' } })
    ).json();
    expect((await t.api(`/api/v1/users/${u.id}`, { method: 'DELETE' })).status).to.equal(204);
    expect((await t.api(`/api/v1/users/${u.id}`)).status).to.equal(404);
    expect(
      (await t.api('/api/v1/users', { method: 'POST', json: { email: 'gone@example.com' } })).status,
    ).to.equal(201);
  });

  it('checks permissions for the caller with AND or OR, naming a malformed one', async () => {
    const guest = { 'x-api-key': await userKey(t, 'checker', []) };
    const check = async (permissions: string[], logic?: string) =>
      t.api('/auth/check-permissions', {
        method: 'POST',
        headers: guest,
        json: { permissions, ...(logic ? { logic } : {}) },
      });
    const and = await (await check(['sinas.users.read:own', 'sinas.users.read:all'])).json();
    expect(and.result).to.equal(false);
    expect(and.checks.map((c: { has_permission: boolean }) => c.has_permission)).to.deep.equal([true, false]);
    const or = await (await check(['sinas.users.read:own', 'sinas.users.read:all'], 'OR')).json();
    expect(or.result).to.equal(true);
    const bad = await check(['sinas.users.read']);
    expect(bad.status).to.equal(400);
    expect((await bad.json()).field).to.equal('permissions.0');
  });

  it('deactivates and reactivates a user', async () => {
    const u = await (
      await t.api('/api/v1/users', { method: 'POST', json: { email: 'idle@example.com' } })
    ).json();
    const off = await t.api(`/api/v1/users/${u.id}`, { method: 'PATCH', json: { active: false } });
    expect((await off.json()).active).to.equal(false);
    const on = await t.api(`/api/v1/users/${u.id}`, { method: 'PATCH', json: { active: true } });
    expect((await on.json()).active).to.equal(true);
  });
});
