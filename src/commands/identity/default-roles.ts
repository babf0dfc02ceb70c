/** The default roles as the identity service syncs them at start (reference §1.5). */
import type { DefaultRole } from './identity-service.js';
import { DEFAULT_ROLES } from './permissions.js';

const DESCRIPTIONS = {
  GuestUsers: 'Every user created through the API: may read and update their own profile',
  Users: 'Ordinary users: their own agents, functions, skills, collections, secrets and more',
  Admins: 'Administrators: every permission',
  Auditors: 'Compliance reviewers: the audit log, timelines and verifiable exports',
} as const;

/** beyond the reference's three: auditors read the whole event log (issue 6) */
const EXTRA: Readonly<Record<string, Readonly<Record<string, boolean>>>> = {
  Auditors: { 'sinas.audit.read:all': true },
};

export function defaultRoles(): Record<string, DefaultRole> {
  return Object.fromEntries(
    Object.entries({ ...DEFAULT_ROLES, ...EXTRA }).map(([name, permissions]) => [
      name,
      {
        description: DESCRIPTIONS[name as keyof typeof DESCRIPTIONS],
        permissions,
        ...(name === 'Admins' ? { forced: { 'sinas.*:all': true } } : {}),
      },
    ]),
  );
}
