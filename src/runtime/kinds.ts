/**
 * The kinds on the kit: the one place a kind is registered. Its service, projection and table,
 * routes and OpenAPI, config section and authorisation-matrix rows are all derived from this list
 * (kind-registry.ts). The order of `KINDS` is the config's apply order (reference §6.3), which
 * sections/index.ts completes with roles and users first and dependencies after secrets:
 * roles → users → llmProviders → databaseConnections → secrets → dependencies → connectors →
 * functions → skills → components → queries → collections → templates → stores → manifests →
 * agents → webhooks → schedules → databaseTriggers; eventSubscriptions, which has no config
 * section, comes last. test/unit/kinds-apply-order.test.ts holds this comment to that order.
 */
import { agentFunctionCheck } from '../commands/agent/agent-functions.js';
import { refuseUnrunKinds } from '../commands/agent/agent-unrun-kinds.js';
import { agentReferenceCheck } from '../commands/agent/agent-references.js';
import type { ResourceService } from '../commands/resource/resource-service.js';
import { NotFoundError } from '../errors.js';
import { agentKind, AGENT_SCHEMA_FIELDS } from '../commands/agent/agent-kind.js';
import { agentsSection } from '../commands/config/sections/agents.js';
import { connectorsSection } from '../commands/config/sections/connectors.js';
import { databaseConnectionsSection } from '../commands/config/sections/database-connections.js';
import { collectionReferences, manifestReferences } from '../commands/config/sections/kit-references.js';
import { functionsSection } from '../commands/config/sections/functions.js';
import { llmProvidersSection } from '../commands/config/sections/llm-providers.js';
import { secretsSection } from '../commands/config/sections/secrets.js';
import {
  eventSubscriptionHooks,
  eventSubscriptionKind,
} from '../commands/event-subscription/event-subscription-kind.js';
import {
  FUNCTION_SCHEMA_FIELDS,
  functionKind,
  sharedPoolPermission,
} from '../commands/function/function-kind.js';
import { collectionKind } from '../commands/collection/collection-kind.js';
import { connectorHooks, connectorKind } from '../commands/connector/connector-kind.js';
import { checkFunctionSpec } from '../commands/function/python-syntax.js';
import { DatabaseAnnotations } from '../commands/database-connection/annotations.js';
import {
  databaseConnectionHooks,
  databaseConnectionKind,
} from '../commands/database-connection/database-connection-kind.js';
import {
  databaseTriggerHooks,
  databaseTriggerKind,
} from '../commands/database-trigger/database-trigger-kind.js';
import { llmProviderKind } from '../commands/llm-provider/llm-provider-kind.js';
import { existsBy, queryHooks, queryKind } from '../commands/query/query-kind.js';
import { queriesSection } from '../commands/config/sections/queries.js';
import { componentsSection } from '../commands/config/sections/components.js';
import { databaseTriggersSection } from '../commands/config/sections/database-triggers.js';
import { schedulesSection } from '../commands/config/sections/schedules.js';
import { webhooksSection } from '../commands/config/sections/webhooks.js';
import { secretHooks, secretKind } from '../commands/secret/secret-kind.js';
import { scheduleHooks, scheduleKind } from '../commands/schedule/schedule-kind.js';
import { skillKind } from '../commands/skill/skill-kind.js';
import { componentHooks, componentKind } from '../commands/component/component-kind.js';
import { registerComponentRoutes } from '../http/components.js';
import { registerComponentPageRoutes } from '../http/component-pages.js';
import { registerComponentProxyRoutes } from '../http/component-proxy.js';
import { componentRuntime } from './components/component-wiring.js';
import { StateProxy } from './components/proxy-states.js';
import { templateHooks, templateKind } from '../commands/template/template-kind.js';
import { storeHooks, storeKind } from '../commands/store/store-kind.js';
import { registerStateRoutes } from '../http/states.js';
import { registerConnectorRoutes } from '../http/connectors.js';
import { registerDatabaseConnectionRoutes } from '../http/database-connections.js';
import { registerEventSubscriptionRoutes } from '../http/event-subscriptions.js';
import { registerFileRoutes } from '../http/files.js';
import { registerQueryExecuteRoutes } from '../http/query-execute.js';
import { IdentityQueries } from '../projections/identity-queries.js';
import { registerResourceRoutes } from '../http/resources.js';
import { registerManifestStatusRoute } from '../http/manifest-status.js';
import { registerScheduleRoutes } from '../http/schedules.js';
import { registerSkillRoutes } from '../http/skills.js';
import { registerTemplateIdRoutes } from '../http/template-by-id.js';
import { registerTemplateRoutes } from '../http/templates.js';
import { registerWithDiscovery } from '../http/discovery.js';
import { registerDefaultAgentRoute } from '../http/default-agent.js';
import { manifestKind } from '../commands/manifest/manifest-kind.js';
import { triggerStatus } from './database-triggers/trigger-status.js';
import type { Sealed } from './cipher.js';
import { kitSection, projectionsOf, type KindRegistration, type KindSectionPorts } from './kind-registry.js';
import { collectionPurge, filesOn } from './files/file-wiring.js';
import { queryRunsOn } from './queries/query-wiring.js';
import { PgDataKeys } from './secrets/data-keys.js';
import { dropStoreStates, statesOn } from './states/state-wiring.js';
import { signingSecrets } from './webhooks/signing-secrets.js';
import { webhookHooks, webhookKind } from '../commands/webhook/webhook-kind.js';
import { registerInboundWebhookRoutes } from '../http/inbound-webhooks.js';
import { DeliveryClaims } from './inbound-webhooks/delivery-claims.js';
import { WebhookRateCounter } from './inbound-webhooks/rate-counter.js';
import { WebhookDeliveries } from './inbound-webhooks/webhook-deliveries.js';
import { agentExistsIn } from './schedules/agent-exists.js';
import { scheduleRuns } from './schedules/schedule-runs.js';

/** opens a provider's API key or a connection's password sealed under the master keyring, to compare it with the config's */
const openProviderKeyWith = (p: KindSectionPorts) => (sealed: unknown) => {
  try {
    return p.cipher.open(sealed as Sealed);
  } catch {
    return undefined; // sealed under a master key no longer configured: treat as changed
  }
};

/** opens a secret's stored value with its data key, to compare it with the config's */
const openSecretWith = (p: KindSectionPorts) => (id: string, value: unknown) =>
  p.secretVault.open(id, value as Sealed).catch((err) => {
    // the plan then shows the value as changed, and an apply writes it anew
    p.log.warn({ err, secretId: id }, 'config: a stored secret could not be opened to compare');
    return undefined;
  });

/** whether a skill or store exists, by its stream (a config apply's earlier items count at once) */
const itemExists =
  (service: (name: string) => ResourceService) =>
  async (kind: 'skills' | 'stores', ref: string): Promise<boolean> => {
    const [namespace, name] = ref.split('/', 2) as [string, string];
    const item = await service(kind)
      .at(namespace, name)
      .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
    return item?.status === 'active';
  };

const llmProviders: KindRegistration = {
  name: 'llmProviders',
  kind: llmProviderKind,
  config: (service, p) => llmProvidersSection(service, p.items, openProviderKeyWith(p)),
  example: { create: { api_endpoint: 'http://127.0.0.1:9/v1' }, update: { default_model: 'changed' } },
};

const secrets: KindRegistration = {
  name: 'secrets',
  kind: secretKind,
  hooks: ({ adapters: a }) => secretHooks(new PgDataKeys(a.pool, a.cipher)),
  config: (service, p) => secretsSection(service, p.items, openSecretWith(p)),
  example: { create: { value: 'v', visibility: 'private' }, update: { description: 'changed' } },
};

const functions: KindRegistration = {
  name: 'functions',
  kind: functionKind,
  hooks: () => ({ schemaFields: FUNCTION_SCHEMA_FIELDS, checkSpec: checkFunctionSpec }),
  config: (service, p) => functionsSection(service, p.items),
  routes: (registry, d) => registerWithDiscovery(registry, { ...d, extraPermission: sharedPoolPermission }),
  example: {
    create: { code: 'def handler(input_data, context):\n    return None\n' },
    update: { description: 'changed' },
  },
};

const agents: KindRegistration = {
  name: 'agents',
  kind: agentKind,
  hooks: ({ executePolicy, service }) => {
    const functionCheck = agentFunctionCheck(executePolicy);
    const referenceCheck = agentReferenceCheck(itemExists(service));
    return {
      schemaFields: AGENT_SCHEMA_FIELDS,
      checkSpec: async (spec, ctx) => {
        refuseUnrunKinds(spec);
        await referenceCheck(spec);
        await functionCheck(spec, ctx);
      },
    };
  },
  config: (service, p) => agentsSection(service, p.service('llmProviders'), p.items, p.policy),
  routes: (registry, d) => {
    registerDefaultAgentRoute(registry, d.queries);
    registerWithDiscovery(registry, d);
  },
  example: { create: {}, update: { description: 'changed' } },
};

const templates: KindRegistration = {
  name: 'templates',
  kind: templateKind,
  hooks: () => templateHooks,
  config: kitSection('templates', 'template'),
  routes: (registry, d) => {
    registerWithDiscovery(registry, d);
    registerTemplateRoutes(registry, { templates: d.service, mailer: d.services.mailer });
    registerTemplateIdRoutes(registry, d.queries);
  },
  example: { create: { html_content: '<p>{{ x }}</p>' }, update: { description: 'changed' } },
};

const webhooks: KindRegistration = {
  name: 'webhooks',
  kind: webhookKind,
  hooks: ({ executePolicy }) => webhookHooks(executePolicy),
  config: (service, p) => webhooksSection(service, p.items),
  routes: (registry, d) => {
    registerResourceRoutes(registry, d);
    const syncTimeoutMs = d.config.functionTimeoutMs + 30_000;
    registerInboundWebhookRoutes(registry, {
      kind: d.service.kind,
      queries: d.queries,
      deliveries: new WebhookDeliveries(
        d.services.executions,
        new DeliveryClaims(d.eventStore),
        syncTimeoutMs,
      ),
      // per-webhook counters in Postgres: every API process counts against one limit
      counter: new WebhookRateCounter(d.pool),
      limits: d.config.inboundWebhooks,
    });
  },
  // the owner's function of the authorisation matrix (it makes it first)
  example: {
    create: { function_namespace: 'mx', function_name: 'echo' },
    update: { description: 'changed' },
  },
};

const eventSubscriptions: KindRegistration = {
  name: 'eventSubscriptions',
  kind: eventSubscriptionKind,
  hooks: ({ adapters: a, guard }) => eventSubscriptionHooks(signingSecrets(a.cipher), guard),
  routes: (registry, d) => registerEventSubscriptionRoutes(registry, { ...d, webhooks: d.config.webhooks }),
  // a public literal address (no DNS), inactive: never called
  example: {
    create: { url: 'http://93.184.215.14/hook', active: false },
    update: { description: 'changed' },
  },
};

const connectors: KindRegistration = {
  name: 'connectors',
  kind: connectorKind,
  hooks: () => connectorHooks(),
  config: (service, p) => connectorsSection(service, p.items),
  routes: registerConnectorRoutes,
  // a public literal address (no DNS): never called by the matrix
  example: { create: { base_url: 'http://93.184.215.14/api' }, update: { description: 'changed' } },
};

const databaseConnections: KindRegistration = {
  name: 'databaseConnections',
  kind: databaseConnectionKind,
  hooks: () => databaseConnectionHooks,
  config: (service, p) =>
    databaseConnectionsSection(
      service,
      p.items,
      openProviderKeyWith(p),
      new DatabaseAnnotations(p.eventStore),
    ),
  routes: (registry, d) =>
    registerDatabaseConnectionRoutes(registry, { ...d, annotations: new DatabaseAnnotations(d.eventStore) }),
  // a loopback port nothing listens on: the matrix never connects
  example: {
    create: { host: '127.0.0.1', port: 9, database: 'd', username: 'u', password: 'p' },
    update: { read_only: true },
  },
};

const skills: KindRegistration = {
  name: 'skills',
  kind: skillKind,
  config: kitSection('skills', 'skill'),
  routes: registerSkillRoutes,
  example: { create: { description: 'd', content: '# c' }, update: { description: 'changed' } },
};

const components: KindRegistration = {
  name: 'components',
  kind: componentKind,
  hooks: () => componentHooks,
  config: (service, p) => componentsSection(service, p.items),
  routes: (registry, d) => {
    const runtime = componentRuntime({
      components: d.service,
      eventStore: d.eventStore,
      jwtSecret: d.services.jwtSecret,
    });
    registerComponentRoutes(registry, { ...d, runtime });
    registerComponentPageRoutes(registry, { pages: runtime.pages });
    const queries = d.services.kinds.queries;
    const stores = d.services.kinds.stores;
    registerComponentProxyRoutes(registry, {
      components: d.service,
      ...(queries && {
        queryRuns: queryRunsOn({
          queries,
          dataSources: d.dataSources,
          store: d.eventStore,
          identity: d.services.queries.identity,
          log: d.log,
        }),
      }),
      ...(stores && {
        states: new StateProxy(
          d.service,
          statesOn({
            pool: d.pool,
            store: d.eventStore,
            handler: d.services.commandHandler,
            stores,
            cipher: d.services.cipher,
            waiter: d.waiter,
            consistencyTimeoutMs: d.consistencyTimeoutMs,
          }),
        ),
      }),
      executions: d.services.executions,
      syncTimeoutMs: d.config.functionTimeoutMs + 30_000,
      runsAvailable: () => d.services.queue.assertAvailable(),
    });
  },
  example: {
    create: { source_code: 'export default function C() { return null; }' },
    update: { description: 'changed' },
  },
};

const queries: KindRegistration = {
  name: 'queries',
  kind: queryKind,
  hooks: ({ adapters: a }) => queryHooks(existsBy((id) => a.dataSources.byId(id))),
  config: (service, p) => queriesSection(service, p.service('databaseConnections'), p.items),
  routes: (registry, d) => {
    registerResourceRoutes(registry, d);
    const identity = new IdentityQueries(d.pool);
    const parts = {
      queries: d.service,
      dataSources: d.dataSources,
      store: d.eventStore,
      identity,
      log: d.log,
    };
    registerQueryExecuteRoutes(registry, { runs: queryRunsOn(parts) });
  },
  // the connection id is the matrix's own connection's (it adds it: ids are made by the server)
  example: { create: { operation: 'read', sql: 'SELECT 1' }, update: { description: 'changed' } },
};

const stores: KindRegistration = {
  name: 'stores',
  kind: storeKind,
  hooks: ({ adapters: a, config }) =>
    storeHooks(dropStoreStates({ ...a, consistencyTimeoutMs: config.consistencyTimeoutMs })),
  config: kitSection('stores', 'store'),
  routes: (registry, d) => {
    registerResourceRoutes(registry, d);
    registerStateRoutes(
      registry,
      statesOn({
        pool: d.pool,
        store: d.eventStore,
        handler: d.services.commandHandler,
        stores: d.service,
        cipher: d.services.cipher,
        waiter: d.waiter,
        consistencyTimeoutMs: d.consistencyTimeoutMs,
      }),
    );
  },
  example: { create: { description: 'notes' }, update: { description: 'changed' } },
};

const collections: KindRegistration = {
  name: 'collections',
  kind: collectionKind,
  hooks: ({ adapters, config }) => ({
    schemaFields: ['metadata_schema'],
    afterDelete: collectionPurge(adapters, config),
  }),
  config: kitSection('collections', 'collection', collectionReferences),
  routes: (registry, d) => {
    registerWithDiscovery(registry, d);
    registerFileRoutes(registry, filesOn({ ...d.services, collections: d.service, log: d.log }, d.config));
  },
  example: { create: {}, update: { max_file_size_mb: 5 } },
};

/** application manifests: what an application needs, and the namespaces discovery shows it */
const manifests: KindRegistration = {
  name: 'manifests',
  kind: manifestKind,
  config: kitSection('manifests', 'manifest', manifestReferences),
  routes: (registry, d) => {
    registerResourceRoutes(registry, d);
    registerManifestStatusRoute(registry, { ...d, kinds: d.services.kinds });
  },
  example: { create: { exposed_namespaces: { agents: ['*'] } }, update: { description: 'changed' } },
};

const databaseTriggers: KindRegistration = {
  name: 'databaseTriggers',
  kind: databaseTriggerKind,
  hooks: ({ adapters: a, executePolicy }) =>
    databaseTriggerHooks(
      existsBy((id) => a.dataSources.byId(id)),
      executePolicy,
    ),
  config: (service, p) => databaseTriggersSection(service, p.service('databaseConnections'), p.items),
  routes: (registry, d) => registerResourceRoutes(registry, { ...d, decorate: triggerStatus(d.eventStore) }),
  // inactive: the matrix's triggers are never polled (the connection id is the matrix's own)
  example: {
    create: {
      table_name: 't',
      poll_column: 'id',
      function_namespace: 'mx',
      function_name: 'echo',
      is_active: false,
    },
    update: { batch_size: 5 },
  },
};

const schedules: KindRegistration = {
  name: 'schedules',
  kind: scheduleKind,
  hooks: ({ adapters: a, executePolicy }) => scheduleHooks(executePolicy, agentExistsIn(a.eventStore)),
  config: (service, p) => schedulesSection(service, p.items),
  routes: (registry, d) =>
    registerScheduleRoutes(registry, { ...d, runsOf: scheduleRuns(d.pool, d.eventStore) }),
  // once a year; the target (an agent) is the matrix's own (it adds it)
  example: {
    create: { cron_expression: '0 0 1 1 *' },
    update: { description: 'changed' },
  },
};

/** Every kind the platform serves. A new kind is one more entry here (README "Adding a kind"). */
export const KINDS: readonly KindRegistration[] = [
  llmProviders,
  databaseConnections,
  secrets,
  connectors,
  functions,
  skills,
  components,
  queries,
  collections,
  templates,
  stores,
  manifests,
  agents,
  webhooks,
  schedules,
  databaseTriggers,
  eventSubscriptions,
];

/** Every projection of a platform serving `KINDS` (the CLI, benches and tests that run them directly). */
export const platformProjections = () => projectionsOf(KINDS);
