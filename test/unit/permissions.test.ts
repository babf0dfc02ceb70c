import { expect } from 'chai';
import { ValidationError } from '../../src/errors.js';
import {
  canAct,
  DEFAULT_ROLES,
  formatPermission,
  hasPermission,
  isSubset,
  isValidPermission,
  listScope,
  matches,
  parsePermission,
  PERMISSION_CATALOGUE,
  requiredForCreate,
  unionOf,
  type ActRequest,
  type PermissionMap,
} from '../../src/commands/identity/permissions.js';
import { seeded } from '../support/fuzz-inputs.js';

const { GuestUsers, Users, Admins } = DEFAULT_ROLES;

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('permissions: parsing (reference §1.3 grammar)', () => {
  const valid: [string, object][] = [
    [
      'sinas.agents/support/helper.chat:all',
      { service: 'sinas', base: ['agents'], path: ['support', 'helper'], action: 'chat', scope: 'all' },
    ],
    [
      'sinas.secrets.read:own',
      { service: 'sinas', base: ['secrets'], path: null, action: 'read', scope: 'own' },
    ],
    ['sinas.*:all', { service: 'sinas', base: [], path: null, action: '*', scope: 'all' }],
    [
      'titan.student_profile.read:own',
      { service: 'titan', base: ['student_profile'], path: null, action: 'read', scope: 'own' },
    ],
    [
      'sinas.agents/*/*.create:own',
      { service: 'sinas', base: ['agents'], path: ['*', '*'], action: 'create' },
    ],
    ['sinas.agents.*:*', { service: 'sinas', base: ['agents'], path: null, action: '*', scope: '*' }],
    ['sinas.a.b.c.read:all', { base: ['a', 'b', 'c'], action: 'read' }],
    ['sinas.*.read:own', { base: ['*'], action: 'read' }],
    ['sinas.read:own', { service: 'sinas', base: [], path: null, action: 'read' }],
    ['*.*:all', { service: '*', base: [], action: '*' }],
    ['sinas.collections/ns/*.create:own', { path: ['ns', '*'] }],
    ['sinas.agents/ns.read:own', { path: ['ns'] }],
    ['sinas.agents/a/b/c.read:own', { path: ['a', 'b', 'c'] }],
    ['sinas.agents/ns/Bot:v2.chat:all', { path: ['ns', 'Bot:v2'], action: 'chat', scope: 'all' }],
    ['sinas.agents/my-ns/my_name-2.read:own', { path: ['my-ns', 'my_name-2'] }],
    ['sinas.functions.shared_pool:all', { base: ['functions'], action: 'shared_pool' }],
    ['sinas.database_connections.schema_destroy:all', { base: ['database_connections'] }],
    ['sinas/ns/n.read:own', { service: 'sinas', base: [], path: ['ns', 'n'] }],
    ['Sinas-2.X_y.READ:own', { service: 'Sinas-2', base: ['X_y'], action: 'READ' }],
  ];
  for (const [s, expected] of valid) {
    it(`parses ${s}`, () => expect(parsePermission(s)).to.deep.include(expected));
    it(`formats ${s} back to itself`, () => expect(formatPermission(parsePermission(s))).to.equal(s));
  }

  const malformed: [string, RegExp, string][] = [
    ['', /is empty/, 'empty string'],
    ['sinas.agents.read', /no :<scope>/, 'no scope'],
    ['sinas.agents.read:', /scope ""/, 'empty scope'],
    ['sinas.agents.read:mine', /scope "mine"; the scope must be own, all or \*/, 'unknown scope'],
    ['sinas.agents.read:OWN', /scope "OWN"/, 'scope is case-sensitive'],
    ['sinas.agents.read:own:', /scope ""/, 'trailing colon'],
    ['read:own', /no \.<action>/, 'no dot at all'],
    ['sinas.agents.:own', /empty segment in its action/, 'empty action'],
    ['sinas.agents/ns/n:own', /no \.<action>/, 'path but no action'],
    ['sinas..read:own', /empty segment in its <service>\.<resource>/, 'empty base segment'],
    ['.agents.read:own', /empty segment/, 'empty service'],
    ['.read:own', /empty segment/, 'empty resource'],
    ['sinas.agents/.read:own', /empty segment in its \/<namespace>\/<name> path/, 'empty path'],
    ['sinas.agents/ns/.read:own', /empty segment in its \/<namespace>\/<name> path/, 'empty name'],
    ['sinas.agents//n.read:own', /empty segment/, 'empty namespace'],
    ['sinas.agents/ns/n/.read:own', /empty segment/, 'trailing slash'],
    ['sinas.agents.read :own', /whitespace/, 'inner space'],
    [' sinas.agents.read:own', /whitespace/, 'leading space'],
    ['sinas.agents.read:own\n', /whitespace/, 'trailing newline'],
    ['sinas.agents/ns/My Agent.read:own', /whitespace/, 'space in a name'],
    ['sinas.agents/ns/n(1).read:own', /contains "\("/, 'parenthesis'],
    ['sinas.agents.réad:own', /contains "é"/, 'non-ASCII letter'],
    ['sinas.agents.read:own;', /contains ";"/, 'semicolon'],
    ['sinas.ag*.read:own', /\* inside "ag\*"/, 'partial wildcard in base'],
    ['sinas.agents.re*:own', /\* inside "re\*"/, 'partial wildcard in action'],
    ['sinas.agents/n*/x.read:own', /\* inside "n\*"/, 'partial wildcard in path'],
    ['sinas.agents.a:b:own', /invalid segment "a:b" in its action/, 'colon in action'],
    ['sin:as.agents.read:own', /invalid segment "sin:as"/, 'colon in service'],
    [`sinas.${'a'.repeat(490)}.read:own`, /longer than 500 characters/, 'too long'],
  ];
  for (const [s, message, why] of malformed) {
    it(`rejects ${why}: ${JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s)}`, () => {
      const err = validationError(() => parsePermission(s));
      expect(err.message).to.match(message);
      expect(err.field).to.equal('permission');
      expect(err.code).to.equal('validation_failed');
      expect(isValidPermission(s)).to.equal(false);
    });
  }

  it('accepts exactly 500 characters', () => {
    const s = `sinas.${'a'.repeat(500 - 'sinas..read:own'.length)}.read:own`;
    expect(s).to.have.length(500);
    expect(isValidPermission(s)).to.equal(true);
  });

  it('names the field it is given, and quotes the offending string', () => {
    const err = validationError(() => parsePermission('sinas.agents.read:any', 'permissions.0'));
    expect(err.field).to.equal('permissions.0');
    expect(err.message).to.equal(
      'permissions.0: "sinas.agents.read:any" has scope "any"; the scope must be own, all or *',
    );
    expect(err.errors).to.deep.equal([{ field: 'permissions.0', message: err.message }]);
  });

  it('returns frozen values, so a cached parse cannot be changed by a caller', () => {
    const p = parsePermission('sinas.agents/ns/n.read:own');
    expect(Object.isFrozen(p) && Object.isFrozen(p.base) && Object.isFrozen(p.path)).to.equal(true);
  });
});

type Row = [held: string, required: string, expected: boolean];

function table(title: string, rows: readonly Row[]): void {
  describe(title, () => {
    for (const [held, required, expected] of rows) {
      it(`${held} ${expected ? 'covers' : 'does not cover'} ${required}`, () => {
        expect(matches(held, required)).to.equal(expected);
        expect(hasPermission({ [held]: true }, required)).to.equal(expected || held === required);
      });
    }
  });
}

describe('permissions: matching (reference §1.3 steps 1-5)', () => {
  const scopes = ['own', 'all', '*'] as const;
  const covered: Record<string, readonly string[]> = { own: ['own'], all: ['own', 'all', '*'], '*': scopes };
  table(
    'scope coverage matrix (required * reads as all)',
    scopes.flatMap((h) =>
      scopes.flatMap((r): Row[] => [
        [`sinas.agents.read:${h}`, `sinas.agents.read:${r}`, covered[h]!.includes(r)],
        [`sinas.agents/ns/n.chat:${h}`, `sinas.agents/ns/n.chat:${r}`, covered[h]!.includes(r)],
        [`sinas.*:${h}`, `sinas.secrets.read:${r}`, covered[h]!.includes(r)],
      ]),
    ),
  );

  table('action and the action wildcard', [
    ['sinas.agents.read:all', 'sinas.agents.read:all', true],
    ['sinas.agents.read:all', 'sinas.agents.update:all', false],
    ['sinas.agents.read:all', 'sinas.agents.reads:all', false],
    ['sinas.agents.READ:all', 'sinas.agents.read:all', false],
    ['sinas.agents.*:all', 'sinas.agents.read:all', true],
    ['sinas.agents.*:all', 'sinas.agents.delete:own', true],
    ['sinas.agents.*:own', 'sinas.agents.delete:all', false],
    ['sinas.agents.*:all', 'sinas.agents.*:all', true],
    ['sinas.agents.read:all', 'sinas.agents.*:all', false],
    ['sinas.agents.*:all', 'sinas.functions.read:all', false],
    ['sinas.functions.*:own', 'sinas.functions.shared_pool:own', true],
  ]);

  table('base: exact segments', [
    ['sinas.secrets.read:own', 'sinas.secrets.read:own', true],
    ['sinas.secrets.read:own', 'sinas.secret.read:own', false],
    ['sinas.secrets.read:own', 'titan.secrets.read:own', false],
    ['sinas.secrets.read:own', 'sinas.secrets.x.read:own', false],
    ['sinas.secrets.x.read:own', 'sinas.secrets.read:own', false],
    ['sinas.a.b.read:own', 'sinas.a.b.read:own', true],
    ['sinas.a.b.read:own', 'sinas.a.c.read:own', false],
    ['sinas.read:own', 'sinas.read:own', true],
    ['sinas.read:own', 'sinas.agents.read:own', false],
  ]);

  table('base: * as a segment wildcard', [
    ['sinas.*.read:own', 'sinas.agents.read:own', true],
    ['sinas.*.read:own', 'sinas.secrets.read:own', true],
    ['*.agents.read:own', 'sinas.agents.read:own', true],
    ['*.agents.read:own', 'titan.agents.read:own', true],
    ['*.agents.read:own', 'titan.users.read:own', false],
    ['sinas.*.x.read:own', 'sinas.a.x.read:own', true],
    ['sinas.*.x.read:own', 'sinas.a.y.read:own', false],
    ['sinas.*.x.read:own', 'sinas.a.x.y.read:own', false],
    ['sinas.*.read:own', 'sinas.agents.update:own', false],
    ['sinas.*.read:own', 'titan.agents.read:own', false],
  ]);

  table('base: prefix patterns (trailing * or action * with a shorter base)', [
    ['sinas.*.read:all', 'sinas.a.b.read:all', true],
    ['sinas.*.read:all', 'sinas.a.b.c.read:all', true],
    ['sinas.*.read:all', 'sinas.read:all', false],
    ['sinas.a.*.read:all', 'sinas.a.b.c.read:all', true],
    ['sinas.a.*.read:all', 'sinas.b.c.d.read:all', false],
    ['sinas.*.*:all', 'sinas.x.y.z.delete:own', true],
    ['sinas.agents.*:all', 'sinas.agents.sub.read:all', true],
    ['sinas.agents.*:all', 'sinas.agents.read:all', true],
    ['sinas.agents.*:all', 'sinas.agent.read:all', false],
    ['sinas.agents.sub.*:all', 'sinas.agents.read:all', false],
    ['sinas.*:all', 'sinas.read:all', true],
    ['sinas.*:all', 'sinas.agents.read:all', true],
    ['sinas.*:all', 'sinas.a.b.c.d.read:own', true],
    ['sinas.*:all', 'titan.agents.read:all', false],
    ['sinas.*:all', 'sinasx.agents.read:all', false],
    ['sinas.*:own', 'sinas.agents.read:all', false],
    ['*.*:all', 'titan.student_profile.read:own', true],
  ]);

  table('path rules', [
    // neither has a path
    ['sinas.agents.read:all', 'sinas.agents.read:all', true],
    // only the required permission has a path: only wildcard patterns match
    ['sinas.agents.read:all', 'sinas.agents/ns/n.read:all', false],
    ['sinas.agents.*:all', 'sinas.agents/ns/n.read:all', true],
    ['sinas.*.read:all', 'sinas.agents/ns/n.read:all', true],
    ['sinas.*:all', 'sinas.agents/ns/n.chat:all', true],
    ['sinas.*:all', 'sinas.collections/ns/*.create:own', true],
    ['*.*:*', 'sinas.agents/ns/n.read:all', true],
    // only the held pattern has a path: no match (the documented consequence)
    ['sinas.functions/*/*.create:own', 'sinas.functions.create:own', false],
    ['sinas.agents/*/*.create:own', 'sinas.agents.create:own', false],
    ['sinas.agents/*/*.*:all', 'sinas.agents.read:all', false],
    ['sinas.agents/ns/n.read:all', 'sinas.agents.read:all', false],
    // both have paths: same number of segments, * matching any one
    ['sinas.agents/*/*.chat:all', 'sinas.agents/support/helper.chat:all', true],
    ['sinas.agents/support/*.chat:all', 'sinas.agents/support/helper.chat:all', true],
    ['sinas.agents/support/*.chat:all', 'sinas.agents/sales/helper.chat:all', false],
    ['sinas.agents/*/helper.chat:all', 'sinas.agents/sales/helper.chat:all', true],
    ['sinas.agents/*/helper.chat:all', 'sinas.agents/sales/other.chat:all', false],
    ['sinas.agents/support/helper.chat:all', 'sinas.agents/support/helper.chat:all', true],
    ['sinas.agents/support/helper.chat:all', 'sinas.agents/support/helper2.chat:all', false],
    ['sinas.agents/*.chat:all', 'sinas.agents/support/helper.chat:all', false],
    ['sinas.agents/*/*/*.chat:all', 'sinas.agents/support/helper.chat:all', false],
    ['sinas.agents/*/*.chat:all', 'sinas.agents/support.chat:all', false],
    ['sinas.agents/*/*.chat:all', 'sinas.functions/support/helper.chat:all', false],
    ['sinas.agents/*/*.chat:own', 'sinas.agents/support/helper.chat:all', false],
    ['sinas.agents/*/*.*:all', 'sinas.agents/support/helper.delete:own', true],
    ['sinas.agents.*:all', 'sinas.agents/a/b/c.read:all', true],
    ['sinas.collections/*/*.create:own', 'sinas.collections/ns/*.create:own', true],
    ['sinas.collections/ns/coll.create:own', 'sinas.collections/ns/*.create:own', false],
    ['sinas.agents/ns/Bot:v2.chat:all', 'sinas.agents/ns/Bot:v2.chat:all', true],
    ['sinas.agents/ns/Bot.chat:all', 'sinas.agents/ns/Bot:v2.chat:all', false],
  ]);

  table('custom services', [
    ['titan.student_profile.read:own', 'titan.student_profile.read:own', true],
    ['titan.student_profile.read:all', 'titan.student_profile.read:own', true],
    ['titan.student_profile.read:own', 'titan.student_profile.read:all', false],
    ['titan.student_profile.*:all', 'titan.student_profile.update:own', true],
    ['titan.*:all', 'titan.student_profile.read:own', true],
    ['titan.*:all', 'sinas.agents.read:own', false],
    ['sinas.*:all', 'titan.student_profile.read:own', false],
    ['titan.student_profile.read:own', 'sinas.student_profile.read:own', false],
  ]);

  it('a malformed held pattern matches nothing', () => {
    expect(matches('sinas.agents.read', 'sinas.agents.read:all')).to.equal(false);
    expect(matches('sinas agents.*:all', 'sinas.agents.read:all')).to.equal(false);
  });

  it('a malformed required permission throws', () => {
    expect(validationError(() => matches('sinas.*:all', 'sinas.agents.read')).field).to.equal('permission');
  });
});

describe('permissions: sets (reference §1.3 step 6)', () => {
  it('an exact key is found without a scan', () =>
    expect(hasPermission({ 'sinas.agents.read:own': true }, 'sinas.agents.read:own')).to.equal(true));

  it('a pattern grants through the scan', () =>
    expect(hasPermission({ 'sinas.agents/*/*.read:all': true }, 'sinas.agents/a/b.read:own')).to.equal(true));

  it('false never denies: a false key next to a true pattern', () =>
    expect(
      hasPermission({ 'sinas.*:all': true, 'sinas.agents.read:all': false }, 'sinas.agents.read:all'),
    ).to.equal(true));

  it('a false pattern grants nothing', () => {
    expect(hasPermission({ 'sinas.*:all': false }, 'sinas.agents.read:all')).to.equal(false);
    expect(hasPermission({ 'sinas.agents.read:all': false }, 'sinas.agents.read:all')).to.equal(false);
  });

  it('the empty map grants nothing', () => expect(hasPermission({}, 'sinas.users.read:own')).to.equal(false));

  it('malformed held keys are skipped, not thrown on', () =>
    expect(hasPermission({ 'bad key': true, 'sinas.users.*:own': true }, 'sinas.users.read:own')).to.equal(
      true,
    ));

  it('a malformed required permission throws ValidationError', () =>
    expect(validationError(() => hasPermission(Admins, 'sinas.users.read')).field).to.equal('permission'));

  it('unionOf: a true from any map wins, whichever order', () => {
    const a = { 'sinas.x.read:own': false, 'sinas.y.read:own': true };
    const b = { 'sinas.x.read:own': true, 'sinas.y.read:own': false, 'sinas.z.read:own': false };
    const expected = { 'sinas.x.read:own': true, 'sinas.y.read:own': true, 'sinas.z.read:own': false };
    expect(unionOf([a, b])).to.deep.equal(expected);
    expect(unionOf([b, a])).to.deep.equal(expected);
  });

  it('unionOf of no maps is empty, and the inputs are left alone', () => {
    const a = { 'sinas.x.read:own': false };
    expect(unionOf([])).to.deep.equal({});
    unionOf([a, { 'sinas.x.read:own': true }]);
    expect(a).to.deep.equal({ 'sinas.x.read:own': false });
  });

  it("unionOf(Users, GuestUsers) is Users (Guest's keys are in Users)", () =>
    expect(unionOf([GuestUsers, Users])).to.deep.equal(Users));

  const subsets: [string, PermissionMap, PermissionMap, string[]][] = [
    ['an empty request', {}, {}, []],
    ['exact keys', { 'sinas.secrets.read:own': true }, Users, []],
    ['a key covered by a pattern', { 'sinas.agents/ns/a.chat:all': true }, Users, []],
    ['a pattern covered by the same pattern', { 'sinas.functions/*/*.execute:own': true }, Users, []],
    [
      'a wider scope than held',
      { 'sinas.functions/*/*.execute:all': true },
      Users,
      ['sinas.functions/*/*.execute:all'],
    ],
    ['everything, from a Users owner', { 'sinas.*:all': true }, Users, ['sinas.*:all']],
    ['everything, from an Admins owner', { 'sinas.*:all': true, 'titan.x.read:own': false }, Admins, []],
    ['a false entry (asks for nothing)', { 'sinas.roles.create:all': false }, Users, []],
    ['a pattern wider than held actions', { 'sinas.secrets.*:own': true }, Users, ['sinas.secrets.*:own']],
    [
      'several, reporting only the uncovered ones in order',
      { 'sinas.roles.read:all': true, 'sinas.logs.read:own': true, 'sinas.system.read:all': true },
      Users,
      ['sinas.roles.read:all', 'sinas.system.read:all'],
    ],
    [
      'a custom service',
      { 'titan.student_profile.read:own': true },
      Users,
      ['titan.student_profile.read:own'],
    ],
  ];
  for (const [why, requested, held, uncovered] of subsets) {
    it(`isSubset: ${why}`, () =>
      expect(isSubset(requested, held)).to.deep.equal({ subset: uncovered.length === 0, uncovered }));
  }

  it('isSubset: a malformed requested key is a ValidationError naming permissions', () => {
    const err = validationError(() => isSubset({ 'sinas.agents.read': false }, Admins));
    expect(err.field).to.equal('permissions');
    expect(err.message).to.match(/"sinas\.agents\.read" has no :<scope>/);
  });
});

describe('permissions: catalogue (reference §1.6)', () => {
  const byName = new Map(PERMISSION_CATALOGUE.map((e) => [e.resource, e]));

  it('lists 25 distinct resources', () => {
    expect(PERMISSION_CATALOGUE).to.have.length(25);
    expect(byName.size).to.equal(25);
  });

  it('every resource and action forms a valid permission in both scopes', () => {
    for (const e of PERMISSION_CATALOGUE) {
      for (const a of e.actions) {
        const path = e.namespaced ? '/ns/n' : '';
        expect(isValidPermission(`sinas.${e.resource}${path}.${a}:own`)).to.equal(true);
        expect(isValidPermission(`sinas.${e.resource}${path}.${a}:all`)).to.equal(true);
      }
    }
  });

  const rows: [string, string, boolean, boolean][] = [
    ['agents', 'create read update delete chat', true, false],
    ['functions', 'create read update delete execute shared_pool', true, false],
    ['skills', 'create read update delete', true, false],
    ['connectors', 'create read update delete', true, false],
    ['manifests', 'create read update delete', true, false],
    ['collections', 'create read update delete upload download list delete_files', true, false],
    ['templates', 'create read update delete render send', true, false],
    ['components', 'create read update delete', true, false],
    ['queries', 'create read update delete execute', true, false],
    ['stores', 'create read update delete write_state read_state', true, false],
    ['webhooks', 'create read update delete', false, false],
    ['schedules', 'create read update delete', false, false],
    ['secrets', 'create read update delete', false, false],
    ['users', 'create read update delete', false, false],
    ['database_triggers', 'create read update delete', false, false],
    ['executions', 'read update', false, false],
    ['api_keys', 'create read delete', false, false],
    ['logs', 'read', false, false],
    ['roles', 'create read update delete manage_members manage_permissions', false, true],
    ['database_connections', 'create read update delete schema schema_destroy data', false, true],
    ['dependencies', 'install read delete', false, true],
    ['llm_providers', 'create read update delete', false, true],
    ['packages', 'create install read delete', false, true],
    ['config', 'validate apply read', false, true],
    ['system', 'read update', false, true],
  ];
  for (const [resource, actions, namespaced, adminOnly] of rows) {
    it(`${resource}: ${actions}${namespaced ? ', namespaced' : ''}${adminOnly ? ', admin-only' : ''}`, () =>
      expect(byName.get(resource)).to.deep.equal({
        resource,
        actions: actions.split(' '),
        namespaced,
        adminOnly,
      }));
  }
});

describe('permissions: default roles (reference §1.5)', () => {
  it('every key of every default role parses and is granted', () => {
    for (const map of Object.values(DEFAULT_ROLES)) {
      for (const [key, granted] of Object.entries(map)) {
        expect(isValidPermission(key), key).to.equal(true);
        expect(granted).to.equal(true);
      }
    }
  });

  it('GuestUsers: reading and updating themselves, nothing else', () =>
    expect(GuestUsers).to.deep.equal({ 'sinas.users.read:own': true, 'sinas.users.update:own': true }));

  it('Admins: sinas.*:all alone', () => expect(Admins).to.deep.equal({ 'sinas.*:all': true }));

  it('Users: the 61 keys listed, plus executions.update:own', () =>
    expect(Object.keys(Users)).to.have.length(62));

  const usersKeys = [
    'sinas.agents/*/*.create:own',
    'sinas.agents/*/*.read:all',
    'sinas.agents/*/*.update:own',
    'sinas.agents/*/*.delete:own',
    'sinas.agents/*/*.chat:all',
    'sinas.functions/*/*.execute:own',
    'sinas.skills/*/*.delete:own',
    'sinas.manifests/*/*.read:all',
    'sinas.manifests/*/*.update:own',
    'sinas.collections/*/*.delete_files:own',
    'sinas.collections/*/*.list:own',
    'sinas.components/*/*.read:own',
    'sinas.queries/*/*.read:own',
    'sinas.stores/*/*.read_state:own',
    'sinas.stores/*/*.write_state:own',
    'sinas.database_triggers.read:own',
    'sinas.connectors/*/*.create:own',
    'sinas.secrets.update:own',
    'sinas.webhooks.delete:own',
    'sinas.schedules.create:own',
    'sinas.executions.read:own',
    'sinas.users.update:own',
    'sinas.api_keys.delete:own',
    'sinas.templates/*/*.send:own',
    'sinas.logs.read:own',
  ];
  for (const key of usersKeys) it(`Users holds ${key}`, () => expect(Users[key]).to.equal(true));

  const usersLack = [
    'sinas.queries/ns/q.execute:own',
    'sinas.components/ns/c.update:own',
    'sinas.functions/ns/f.read:all',
    'sinas.functions.shared_pool:all',
    'sinas.executions.read:all',
    'sinas.executions.update:all',
    'sinas.api_keys.update:own',
    'sinas.users.read:all',
    'sinas.users.create:all',
    'sinas.secrets.read:all',
  ];
  for (const required of usersLack) {
    it(`Users lack ${required}`, () => expect(hasPermission(Users, required)).to.equal(false));
  }

  it('Users hold no admin-only permission in either scope', () => {
    for (const e of PERMISSION_CATALOGUE.filter((c) => c.adminOnly)) {
      for (const a of e.actions) {
        expect(hasPermission(Users, `sinas.${e.resource}.${a}:own`)).to.equal(false);
        expect(hasPermission(Users, `sinas.${e.resource}.${a}:all`)).to.equal(false);
      }
    }
  });

  it('Admins hold every catalogue permission, on every item, in both scopes', () => {
    for (const e of PERMISSION_CATALOGUE) {
      for (const a of e.actions) {
        for (const p of ['', '/ns/n', '/*/*'])
          expect(hasPermission(Admins, `sinas.${e.resource}${p}.${a}:all`)).to.equal(true);
      }
    }
  });

  it('GuestUsers hold only their own user read and update', () => {
    for (const e of PERMISSION_CATALOGUE) {
      for (const a of e.actions) {
        const expected = e.resource === 'users' && (a === 'read' || a === 'update');
        expect(hasPermission(GuestUsers, `sinas.${e.resource}.${a}:own`), `${e.resource}.${a}`).to.equal(
          expected,
        );
        expect(hasPermission(GuestUsers, `sinas.${e.resource}.${a}:all`)).to.equal(false);
      }
    }
  });
});

describe('permissions: requiredForCreate fixes the create quirk (reference §1.5)', () => {
  it('is the namespaced create key', () =>
    expect(requiredForCreate('agents', 'support', 'helper')).to.equal(
      'sinas.agents/support/helper.create:own',
    ));

  it('the quirk it fixes: Users do not satisfy the non-namespaced key the reference checks', () => {
    expect(hasPermission(Users, 'sinas.agents.create:own')).to.equal(false);
    expect(hasPermission(Users, 'sinas.functions.create:own')).to.equal(false);
  });

  const creatable = ['agents', 'functions', 'skills', 'manifests', 'collections', 'templates', 'connectors'];
  for (const resource of creatable) {
    for (const [ns, name] of [
      ['support', 'helper'],
      ['other_ns', 'x'],
    ] as const) {
      it(`Users can create ${resource} in ${ns}; GuestUsers cannot; Admins can`, () => {
        const required = requiredForCreate(resource, ns, name);
        expect(hasPermission(Users, required)).to.equal(true);
        expect(hasPermission(GuestUsers, required)).to.equal(false);
        expect(hasPermission(Admins, required)).to.equal(true);
      });
    }
  }

  for (const resource of ['components', 'queries', 'stores']) {
    it(`Users cannot create ${resource} (the reference grants them no create)`, () =>
      expect(hasPermission(Users, requiredForCreate(resource, 'ns', 'n'))).to.equal(false));
  }

  it('a role limited to one namespace creates there only', () => {
    const map = { 'sinas.agents/support/*.create:own': true };
    expect(hasPermission(map, requiredForCreate('agents', 'support', 'helper'))).to.equal(true);
    expect(hasPermission(map, requiredForCreate('agents', 'sales', 'helper'))).to.equal(false);
  });

  it('a name the grammar cannot spell needs a * grant', () => {
    const required = requiredForCreate('agents', 'support', 'My Agent (v2)');
    expect(required).to.equal('sinas.agents/support/*.create:own');
    expect(hasPermission(Users, required)).to.equal(true);
    expect(hasPermission({ 'sinas.agents/support/helper.create:own': true }, required)).to.equal(false);
  });

  it('refuses resources that are not namespaced, or unknown', () => {
    expect(validationError(() => requiredForCreate('secrets', 'ns', 'n')).field).to.equal('resource');
    expect(validationError(() => requiredForCreate('nope', 'ns', 'n')).field).to.equal('resource');
  });

  it('refuses an empty namespace or name', () => {
    expect(validationError(() => requiredForCreate('agents', '', 'n')).field).to.equal('namespace');
    expect(validationError(() => requiredForCreate('agents', 'ns', '')).field).to.equal('name');
  });
});

describe('permissions: canAct on one item (reference §1.4)', () => {
  const me = 'user-1';
  const other = 'user-2';
  const item = (
    resource: string,
    action: string,
    ownerId: string | null,
    extra: object = {},
  ): ActRequest => ({
    resource,
    action,
    ownerId,
    callerId: me,
    namespaced: true,
    namespace: 'support',
    name: 'helper',
    ...extra,
  });

  const rows: [string, PermissionMap, ActRequest, 'all' | 'own' | false][] = [
    ['Users read any agent (read:all)', Users, item('agents', 'read', other), 'all'],
    ['Users chat with any agent (chat:all)', Users, item('agents', 'chat', other), 'all'],
    ['Users update their own agent', Users, item('agents', 'update', me), 'own'],
    ["Users cannot update another's agent", Users, item('agents', 'update', other), false],
    ["Users cannot read another's function", Users, item('functions', 'read', other), false],
    ['Users execute their own function', Users, item('functions', 'execute', me), 'own'],
    ['Users cannot execute queries at all', Users, item('queries', 'execute', me), false],
    [
      "Users read another's public component",
      Users,
      item('components', 'read', other, { visibility: 'public' }),
      'own',
    ],
    [
      "Users cannot read another's private component",
      Users,
      item('components', 'read', other, { visibility: 'private' }),
      false,
    ],
    ['Users read an ownerless item with :own', Users, item('skills', 'read', null), 'own'],
    ['Admins act on anything', Admins, item('functions', 'delete', other), 'all'],
    ['GuestUsers cannot read agents', GuestUsers, item('agents', 'read', me), false],
    [
      'a specific :all grant covers that item only',
      { 'sinas.agents/support/helper.update:all': true },
      item('agents', 'update', other),
      'all',
    ],
    [
      'a specific grant for another item does not',
      { 'sinas.agents/support/other.update:all': true },
      item('agents', 'update', other),
      false,
    ],
    ['a namespace grant', { 'sinas.agents/support/*.delete:own': true }, item('agents', 'delete', me), 'own'],
    [
      'a non-namespaced grant does not cover a namespaced item (path rule)',
      { 'sinas.agents.read:all': true },
      item('agents', 'read', other),
      false,
    ],
    [
      'a name the grammar cannot spell: * grants cover it',
      { 'sinas.agents/support/*.chat:all': true },
      item('agents', 'chat', other, { name: 'My Agent (v2)' }),
      'all',
    ],
    [
      'a name the grammar cannot spell: specific grants do not',
      { 'sinas.agents/support/helper.chat:all': true },
      item('agents', 'chat', other, { name: 'My Agent (v2)' }),
      false,
    ],
    [
      'GuestUsers read themselves (non-namespaced)',
      GuestUsers,
      { resource: 'users', action: 'read', ownerId: me, callerId: me, namespaced: false },
      'own',
    ],
    [
      'GuestUsers cannot read another user',
      GuestUsers,
      { resource: 'users', action: 'read', ownerId: other, callerId: me, namespaced: false },
      false,
    ],
    [
      'Users delete their own secret',
      Users,
      { resource: 'secrets', action: 'delete', ownerId: me, callerId: me, namespaced: false },
      'own',
    ],
    [
      'sinas.secrets.read:all reads any secret',
      { 'sinas.secrets.read:all': true },
      { resource: 'secrets', action: 'read', ownerId: other, callerId: me, namespaced: false },
      'all',
    ],
  ];
  for (const [why, map, req, expected] of rows) it(why, () => expect(canAct(map, req)).to.equal(expected));

  it('refuses an empty namespace', () =>
    expect(
      validationError(() => canAct(Users, item('agents', 'read', me, { namespace: '' }))).field,
    ).to.equal('namespace'));
});

describe('permissions: listScope (reference §1.4 List)', () => {
  const me = 'user-1';
  const list = (resource: string, action: string, namespaced: boolean, ownerless?: boolean) => ({
    resource,
    action,
    namespaced,
    callerId: me,
    ...(ownerless === undefined ? {} : { ownerless }),
  });

  const rows: [string, PermissionMap, ReturnType<typeof list>, object][] = [
    ['Admins see every row', Admins, list('functions', 'read', true), { kind: 'all' }],
    ['Users see every agent (read:all)', Users, list('agents', 'read', true), { kind: 'all' }],
    [
      'Users see their own functions',
      Users,
      list('functions', 'read', true),
      { kind: 'own', ownerId: me, namespaces: [] },
    ],
    [
      'Users see their own secrets',
      Users,
      list('secrets', 'read', false),
      { kind: 'own', ownerId: me, namespaces: [] },
    ],
    ['GuestUsers see no agents', GuestUsers, list('agents', 'read', true), { kind: 'none' }],
    ['GuestUsers see no secrets', GuestUsers, list('secrets', 'read', false), { kind: 'none' }],
    [
      'an ownerless model with :own shows every row',
      Users,
      list('skills', 'read', true, true),
      { kind: 'all' },
    ],
    [
      'a non-namespaced :all grant',
      { 'sinas.webhooks.read:all': true },
      list('webhooks', 'read', false),
      { kind: 'all' },
    ],
    [
      'a non-namespaced resource collects no namespaces',
      { 'sinas.webhooks/ns/x.read:all': true },
      list('webhooks', 'read', false),
      { kind: 'none' },
    ],
  ];
  for (const [why, map, req, expected] of rows)
    it(why, () => expect(listScope(map, req)).to.deep.equal(expected));

  it('otherwise collects the namespaces named by granted keys for that resource and action (or *)', () => {
    const map: PermissionMap = {
      'sinas.agents/support/helper.read:own': true,
      'sinas.agents/sales/*.*:all': true,
      'sinas.agents/*/x.read:all': true,
      'sinas.agents/hr/y.update:all': true,
      'sinas.agents/off/z.read:all': false,
      'sinas.agents.read:own': false,
      'sinas.functions/fin/a.read:all': true,
      'sinas.*/ops/a.read:all': true,
      'titan.agents/edu/a.read:all': true,
      'sinas.agents/support/second.read:all': true,
      'not a permission': true,
    };
    expect(listScope(map, list('agents', 'read', true))).to.deep.equal({
      kind: 'own',
      ownerId: me,
      namespaces: ['sales', 'support'],
    });
    expect(listScope(map, list('agents', 'update', true))).to.deep.equal({
      kind: 'own',
      ownerId: me,
      namespaces: ['hr', 'sales'],
    });
    expect(listScope(map, list('agents', 'delete', true))).to.deep.equal({
      kind: 'own',
      ownerId: me,
      namespaces: ['sales'],
    });
  });
});

const WIDE = {
  services: ['sinas', 'sinas', 'titan', '*'],
  base: ['agents', 'functions', 'x', '*'],
  path: ['support', 'ns', 'Bot:v2', '*'],
  actions: ['read', 'chat', '*'],
};
/** Few names, so that chains of matches (held covers requested covers required) come up often. */
const NARROW = {
  services: ['sinas', 'sinas', '*'],
  base: ['agents', '*'],
  path: ['ns', '*'],
  actions: ['read', '*'],
};

function generator(seed: number, names: typeof WIDE = WIDE) {
  const next = seeded(seed); // a failing case reproduces
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const some = (xs: readonly string[], min: number, max: number) =>
    Array.from({ length: min + Math.floor(next() * (max - min + 1)) }, () => pick(xs));
  const permission = (service = pick(names.services)): string => {
    const base = some(names.base, 0, 2);
    const path = next() < 0.5 ? '' : `/${some(names.path, 1, 3).join('/')}`;
    return `${[service, ...base].join('.')}${path}.${pick(names.actions)}:${pick(['own', 'all', '*'])}`;
  };
  const map = (): PermissionMap =>
    Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [permission(), next() < 0.7]));
  return { permission, map };
}

describe('permissions: properties over generated permissions', () => {
  const N = 3000;
  const g = generator(20240611);
  const samples = Array.from({ length: N }, () => g.permission());

  it('every generated permission parses and formats back to itself', () => {
    for (const s of samples) expect(formatPermission(parsePermission(s))).to.equal(s);
  });

  it('a permission always matches itself', () => {
    for (const s of samples) expect(matches(s, s), s).to.equal(true);
  });

  it('the :all form covers the :own form, and :* covers both', () => {
    for (const s of samples) {
      const stem = s.slice(0, s.lastIndexOf(':'));
      expect(matches(`${stem}:all`, `${stem}:own`), s).to.equal(true);
      expect(matches(`${stem}:*`, `${stem}:all`), s).to.equal(true);
      expect(matches(`${stem}:own`, `${stem}:all`), s).to.equal(false);
    }
  });

  it('widening a held scope never loses coverage', () => {
    for (let i = 0; i < N; i++) {
      const [h, r] = [samples[i]!, samples[(i * 7 + 3) % N]!];
      if (matches(h, r))
        expect(matches(`${h.slice(0, h.lastIndexOf(':'))}:all`, r), `${h} ${r}`).to.equal(true);
    }
  });

  it('sinas.*:all covers every sinas. permission and nothing of other services', () => {
    for (let i = 0; i < 500; i++) {
      expect(matches('sinas.*:all', g.permission('sinas'))).to.equal(true);
      expect(matches('sinas.*:all', g.permission('titan'))).to.equal(false);
    }
  });

  it('hasPermission with an added false entry equals without it', () => {
    for (let i = 0; i < N; i++) {
      const map = g.map();
      const extra = g.permission();
      if (extra in map) continue;
      const required = samples[i]!;
      expect(hasPermission({ ...map, [extra]: false }, required)).to.equal(hasPermission(map, required));
    }
  });

  it('hasPermission of a union is the or of the parts', () => {
    for (let i = 0; i < N; i++) {
      const [a, b] = [g.map(), g.map()];
      const r = samples[i]!;
      expect(hasPermission(unionOf([a, b]), r)).to.equal(hasPermission(a, r) || hasPermission(b, r));
    }
  });

  it('coverage is transitive, so isSubset of patterns is sound', () => {
    const narrow = generator(7, NARROW);
    let chains = 0;
    for (let i = 0; i < 200_000; i++) {
      const [h, r, c] = [narrow.permission(), narrow.permission(), narrow.permission()];
      if (!matches(h, r) || !matches(r, c)) continue;
      chains++;
      expect(matches(h, c), `${h} covers ${r} covers ${c}`).to.equal(true);
    }
    expect(chains).to.be.greaterThan(1000);
  });
});
