/**
 * The execute rule, pure: `execute:all` on the function, or `execute:own` and owning it; and the
 * functions an agent names, with the field each is named in.
 */
import { expect } from 'chai';
import { functionReferences } from '../../src/commands/agent/agent-functions.js';
import { mayExecute, notPermitted } from '../../src/commands/execution/execute-policy.js';
import { DEFAULT_ROLES, type PermissionMap } from '../../src/commands/identity/permissions.js';

const fn = { namespace: 'al', name: 'echo', ownerId: 'alice' };
const grant = (key: string): PermissionMap => ({ ...DEFAULT_ROLES.Users, [key]: true });

describe('execute policy', () => {
  const cases: [string, PermissionMap, string, boolean][] = [
    ['the owner, with the Users role', DEFAULT_ROLES.Users, 'alice', true],
    ['another user, with the Users role (execute:own)', DEFAULT_ROLES.Users, 'bob', false],
    ['an administrator (sinas.*:all)', DEFAULT_ROLES.Admins, 'bob', true],
    ['a guest', DEFAULT_ROLES.GuestUsers, 'alice', false],
    [
      'another user granted execute:all on it by name',
      grant('sinas.functions/al/echo.execute:all'),
      'bob',
      true,
    ],
    [
      'another user granted execute:all in its namespace',
      grant('sinas.functions/al/*.execute:all'),
      'bob',
      true,
    ],
    [
      'another user granted execute:all on every function',
      grant('sinas.functions/*/*.execute:all'),
      'bob',
      true,
    ],
    [
      'another user granted execute:own on it by name (not theirs)',
      grant('sinas.functions/al/echo.execute:own'),
      'bob',
      false,
    ],
    [
      'another user granted execute:all on another function',
      grant('sinas.functions/al/other.execute:all'),
      'bob',
      false,
    ],
    ['another user granted read:all on it', grant('sinas.functions/al/echo.read:all'), 'bob', false],
  ];
  for (const [who, permissions, userId, allowed] of cases)
    it(`${allowed ? 'lets' : 'refuses'} ${who}`, () => {
      expect(mayExecute(permissions, fn, userId)).to.equal(allowed);
    });

  it('names the function, the field and the permissions that would allow it', () => {
    const err = notPermitted(fn, 'enabled_functions[0]');
    expect(err.code).to.equal('forbidden');
    expect(err.field).to.equal('enabled_functions[0]');
    expect(err.message).to.contain("'al/echo'");
    expect(err.message).to.contain('sinas.functions/al/echo.execute:all');
    expect(err.message).to.contain('sinas.functions/al/echo.execute:own');
  });
});

describe("an agent's function references", () => {
  it('lists tools and hooks with the field naming each, in the given spelling', () => {
    const spec = {
      tools: ['a/one', 'b/two'],
      hooks: {
        on_user_message: [{ function: 'c/three' }],
        on_assistant_message: [{ function: 'd/four', async: true }, { function: 'e/five' }],
      },
    };
    expect(functionReferences(spec)).to.deep.equal([
      { field: 'enabled_functions[0]', ref: 'a/one' },
      { field: 'enabled_functions[1]', ref: 'b/two' },
      { field: 'hooks.on_user_message[0].function', ref: 'c/three' },
      { field: 'hooks.on_assistant_message[0].function', ref: 'd/four' },
      { field: 'hooks.on_assistant_message[1].function', ref: 'e/five' },
    ]);
    expect(functionReferences({ tools: ['a/one'] }, 'enabledFunctions')).to.deep.equal([
      { field: 'enabledFunctions[0]', ref: 'a/one' },
    ]);
  });

  it('names nothing for fields an update leaves out, or a null hooks', () => {
    expect(functionReferences({})).to.deep.equal([]);
    expect(functionReferences({ tools: undefined, hooks: null })).to.deep.equal([]);
  });
});
