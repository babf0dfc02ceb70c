/**
 * The sections of the declarative config, in apply order (reference §6.3: roles → users →
 * llmProviders → secrets → functions → agents). A later kind joins by adding its section here.
 */
import type { EventStore } from '../../../events/event-store.js';
import type { Sealed } from '../../../runtime/cipher.js';
import type { IdentityQueries } from '../../../projections/identity-queries.js';
import type { ResourceQueries } from '../../../projections/resource-queries.js';
import type { SecretQueries } from '../../../projections/secret-queries.js';
import type { ExecutePolicy } from '../../execution/execute-policy.js';
import type { IdentityService } from '../../identity/identity-service.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { SecretService } from '../../secret/secret-service.js';
import type { ConfigSection } from '../config-section.js';
import { agentsSection } from './agents.js';
import { functionsSection } from './functions.js';
import { llmProvidersSection } from './llm-providers.js';
import { rolesSection } from './roles.js';
import { secretsSection } from './secrets.js';
import { usersSection } from './users.js';

export interface SectionDeps {
  readonly store: EventStore;
  readonly identity: IdentityService;
  readonly identityQueries: IdentityQueries;
  readonly resourceQueries: ResourceQueries;
  readonly agents: ResourceService;
  readonly functions: ResourceService;
  readonly llmProviders: ResourceService;
  readonly secrets: SecretService;
  readonly secretQueries: SecretQueries;
  /** opens a provider API key sealed under the master keyring */
  readonly openProviderKey: (sealed: unknown) => string | undefined;
  /** who may run a function: an applied agent's functions must be the applier's to run */
  readonly policy: ExecutePolicy;
  /** opens a secret's value with its data key */
  readonly openSecret: (secretId: string, value: Sealed) => Promise<string | undefined>;
}

export function configSections(d: SectionDeps): readonly ConfigSection[] {
  return [
    rolesSection(d.identity, d.store, d.identityQueries),
    usersSection(d.identity, d.store, d.identityQueries),
    llmProvidersSection(d.llmProviders, d.store, d.resourceQueries, d.openProviderKey),
    secretsSection(d.secrets, d.store, d.secretQueries, d.openSecret),
    functionsSection(d.functions, d.store, d.resourceQueries),
    agentsSection(d.agents, d.llmProviders, d.store, d.resourceQueries, d.policy),
  ];
}
