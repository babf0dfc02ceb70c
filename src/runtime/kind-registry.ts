/**
 * What registering a kind means, and everything derived from the list of registrations by loops:
 * its service (with its hooks), its projection and read-model table, its routes and OpenAPI, and its
 * config apply/export section. The list itself is `kinds.ts`; nothing else names a kind to wire it.
 */
import type { Logger } from 'pino';
import type { ConfigSection } from '../commands/config/config-section.js';
import {
  direct,
  resourceSection,
  type KindItems,
  type ResourceSectionOptions,
} from '../commands/config/sections/resource-section.js';
import { camel } from '../commands/config/config-section.js';
import type { ExecutePolicy } from '../commands/execution/execute-policy.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import type { ResourceService, ResourceServiceOptions } from '../commands/resource/resource-service.js';
import { registerResourceRoutes, type ResourceRouteDeps } from '../http/resources.js';
import type { RouteRegistry } from '../http/routes.js';
import { allProjections } from '../projections/index.js';
import type { Projection } from '../projections/projection.js';
import type { Keyring } from './cipher.js';
import type { Config } from './config.js';
import type { OutboundGuard } from './outbound/outbound-guard.js';
import type { SecretVault } from './secrets/secret-vault.js';
import type { Adapters, Services } from './services.js';

/** What a kind's hooks are built on. */
export interface KindPorts {
  readonly adapters: Adapters;
  /** the outbound guard (SSRF) for URLs someone gave */
  readonly guard: OutboundGuard;
  /** who may run a function (an agent's save asks it) */
  readonly executePolicy: ExecutePolicy;
  /** the process's configuration (where file contents live, …) */
  readonly config: Config;
  /** another registered kind's service, by its registered name (for checks that run after all are built) */
  readonly service: (name: string) => ResourceService;
}

/** What a kind's config section reads the platform with. */
export interface KindSectionPorts {
  /** the platform's items of a kind, from its read model */
  readonly items: KindItems;
  /** another registered kind's service, by its registered name */
  readonly service: (name: string) => ResourceService;
  readonly policy: ExecutePolicy;
  /** the master keyring (a provider's API key is sealed under it) */
  readonly cipher: Keyring;
  /** opens a secret's value with its data key */
  readonly secretVault: SecretVault;
  /** what a section keeps beside a kind's items (a database connection's annotations) */
  readonly eventStore: Adapters['eventStore'];
  readonly log: Logger;
}

/** What a kind's routes are registered with. */
export interface KindRouteDeps extends ResourceRouteDeps {
  readonly pool: Adapters['pool'];
  readonly dataSources: Adapters['dataSources'];
  readonly eventStore: Adapters['eventStore'];
  readonly config: Config;
  /** the process's services, for routes that do more than the lifecycle (a connector's test call) */
  readonly services: Services;
  /** for what a route does after answering (a saved query's run record) */
  readonly log: Logger;
}

/** One kind on the kit, registered once in `kinds.ts`. */
export interface KindRegistration {
  /** its service's name: `services.kinds.<name>` */
  readonly name: string;
  /** the declarative definition (fields, namespacing, ownership, events, read model) */
  readonly kind: ResourceKind;
  /** what the kind adds to the lifecycle (seal values, check specs), built on the platform's ports */
  readonly hooks?: (ports: KindPorts) => ResourceServiceOptions;
  /** its section of `config apply/export` (`kitSection` derives one from the kind's fields); none: not in the config */
  readonly config?: (service: ResourceService, ports: KindSectionPorts) => ConfigSection;
  /** its routes; default: the kit's management routes (`registerResourceRoutes`) */
  readonly routes?: (registry: RouteRegistry, deps: KindRouteDeps) => void;
  /**
   * the smallest valid create body (besides namespace and name) and one update: what the
   * authorisation matrix creates and changes to derive this kind's rows
   */
  readonly example: {
    readonly create: Readonly<Record<string, unknown>>;
    readonly update: Readonly<Record<string, unknown>>;
  };
}

/** The registered kinds' services by name. */
export type KindServices = Readonly<Record<string, ResourceService>>;

/** Looks up a registered kind's service; a missing one is a wiring error. */
export function kindService(services: KindServices, name: string): ResourceService {
  const s = services[name];
  if (!s) throw new Error(`no kind registered as '${name}' (src/runtime/kinds.ts)`);
  return s;
}

/** Every projection: the kinds' read models, then chats, executions and identity. */
export const projectionsOf = (kinds: readonly KindRegistration[]): Projection[] =>
  allProjections(kinds.map((r) => r.kind));

/**
 * Builds each kind's service in registration order. `make` is the platform's one way to construct a
 * kind's service (event store, handler, flag holders, cipher, stream cache).
 */
export function buildKindServices(
  kinds: readonly KindRegistration[],
  make: (kind: ResourceKind, options?: ResourceServiceOptions) => ResourceService,
  ports: Omit<KindPorts, 'service'>,
): KindServices {
  const built: Record<string, ResourceService> = {};
  const service = (name: string) => kindService(built, name);
  for (const r of kinds) {
    if (built[r.name]) throw new Error(`two kinds registered as '${r.name}'`);
    built[r.name] = make(r.kind, r.hooks?.({ ...ports, service }));
  }
  return built;
}

/** Each kind's routes: its own, or the kit's. */
export function registerKindRoutes(
  registry: RouteRegistry,
  kinds: readonly KindRegistration[],
  services: KindServices,
  deps: Omit<KindRouteDeps, 'service'>,
): void {
  for (const r of kinds) {
    const d = { ...deps, service: kindService(services, r.name) };
    if (r.routes) r.routes(registry, d);
    else registerResourceRoutes(registry, d);
  }
}

/** The config sections of the kinds that have one, in registration order (the apply order). */
export function kindSections(
  kinds: readonly KindRegistration[],
  services: KindServices,
  ports: KindSectionPorts,
): ConfigSection[] {
  return kinds.flatMap((r) => (r.config ? [r.config(kindService(services, r.name), ports)] : []));
}

/** The read models a declarative config reads and writes: identity and each kind with a section. */
export const configTables = (kinds: readonly KindRegistration[]): string[] => [
  'identity',
  ...kinds.filter((r) => r.config).map((r) => r.kind.table),
];

/**
 * A kind's config section derived from its definition: `spec.<name>` items are its fields in
 * camelCase (write-only and internal fields left out), with its required fields required; `check`
 * adds the kind's reference checks (§6.4).
 */
export function kitSection(name: string, resourceType: string, check?: ResourceSectionOptions['check']) {
  return (service: ResourceService, ports: KindSectionPorts): ConfigSection => {
    const kind = service.kind;
    const hidden = new Set([...(kind.writeOnlyFields ?? []), ...(kind.internalFields ?? [])]);
    const fields = Object.keys(kind.fields).filter((f) => !hidden.has(f));
    return resourceSection({
      name,
      resourceType,
      service,
      items: ports.items,
      fields: fields.map((f) => direct(kind, f)),
      required: (kind.requiredFields ?? []).filter((f) => !hidden.has(f)).map((f) => camel(f)),
      ...(check ? { check } : {}),
    }) as ConfigSection;
  };
}
