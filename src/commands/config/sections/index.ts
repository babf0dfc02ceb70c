/**
 * The sections of the declarative config, in apply order (reference §6.3: roles → users →
 * llmProviders → secrets → functions → agents). A later kind joins by adding its section here.
 * Every section reads the platform through a port (`KindItems`, `IdentityCatalog`).
 */
import type { EventStore } from '../../../events/event-store.js';
import type { ExecutePolicy } from '../../execution/execute-policy.js';
import type { IdentityService } from '../../identity/identity-service.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { ConfigSection } from '../config-section.js';
import { agentsSection } from './agents.js';
import { functionsSection } from './functions.js';
import type { IdentityCatalog } from './identity-catalog.js';
import { llmProvidersSection } from './llm-providers.js';
import type { KindItems } from './resource-section.js';
import { rolesSection } from './roles.js';
import { secretsSection } from './secrets.js';
import { usersSection } from './users.js';

export interface SectionDeps {
  readonly store: EventStore;
  readonly identity: IdentityService;
  readonly identityCatalog: IdentityCatalog;
  /** the platform's items of a kind, from its read model */
  readonly items: KindItems;
  readonly agents: ResourceService;
  readonly functions: ResourceService;
  readonly llmProviders: ResourceService;
  readonly secrets: ResourceService;
  /** opens a provider API key sealed under the master keyring */
  readonly openProviderKey: (sealed: unknown) => string | undefined;
  /** who may run a function: an applied agent's functions must be the applier's to run */
  readonly policy: ExecutePolicy;
  /** opens a secret's value with its data key */
  readonly openSecret: (secretId: string, value: unknown) => Promise<string | undefined>;
}

export function configSections(d: SectionDeps): readonly ConfigSection[] {
  return [
    rolesSection(d.identity, d.store, d.identityCatalog),
    usersSection(d.identity, d.store, d.identityCatalog),
    llmProvidersSection(d.llmProviders, d.items, d.openProviderKey),
    secretsSection(d.secrets, d.items, d.openSecret),
    functionsSection(d.functions, d.items),
    agentsSection(d.agents, d.llmProviders, d.items, d.policy),
  ];
}
