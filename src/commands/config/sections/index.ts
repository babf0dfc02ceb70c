/**
 * The sections of the declarative config, in apply order (reference §6.3: roles → users →
 * llmProviders → databaseConnections → secrets → dependencies → connectors → … → agents → …):
 * roles and users, then each registered kind's section in the order the composition root registers
 * the kinds, with `dependencies` (checked, never applied) right after secrets. Every section reads
 * the platform through a port (`KindItems`, `IdentityCatalog`).
 */
import type { EventStore } from '../../../events/event-store.js';
import type { IdentityService } from '../../identity/identity-service.js';
import type { ConfigSection } from '../config-section.js';
import type { IdentityCatalog } from './identity-catalog.js';
import { dependenciesSection } from './dependencies.js';
import { rolesSection } from './roles.js';
import { usersSection } from './users.js';

export interface SectionDeps {
  readonly store: EventStore;
  readonly identity: IdentityService;
  readonly identityCatalog: IdentityCatalog;
}

export function configSections(
  d: SectionDeps,
  /** the kinds' sections, in apply order */
  kindSections: readonly ConfigSection[],
): readonly ConfigSection[] {
  const afterSecrets = kindSections.findIndex((s) => s.name === 'secrets') + 1;
  return [
    rolesSection(d.identity, d.store, d.identityCatalog),
    usersSection(d.identity, d.store, d.identityCatalog),
    ...kindSections.slice(0, afterSecrets),
    dependenciesSection(),
    ...kindSections.slice(afterSecrets),
  ];
}
