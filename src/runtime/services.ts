/**
 * The platform's services as one typed, readonly object, built by plain construction from the
 * adapters the composition root opened: the only place that knows which service needs which.
 * Processes, tests and benches read what they need from it (`platform.services.chats`).
 */
import { fileFamily } from './files/file-family.js';
import { filesOn } from './files/file-wiring.js';
import { messagePartsOn, type MessagePartPorts } from './parts/part-wiring.js';
import type pg from 'pg';
import type { Logger } from 'pino';
import { ChatService } from '../commands/chat/chat-service.js';
import { CommandHandler } from '../commands/command-handler.js';
import { ConfigService } from '../commands/config/config-service.js';
import { configSections } from '../commands/config/sections/index.js';
import { packagesOn, type Packages } from './packages/package-wiring.js';
import { ExecutePolicy } from '../commands/execution/execute-policy.js';
import { ExecutionService } from '../commands/execution/execution-service.js';
import { IdentityService } from '../commands/identity/identity-service.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import {
  ResourceService,
  type FlagHolders,
  type ResourceServiceOptions,
} from '../commands/resource/resource-service.js';
import type { EventStore } from '../events/event-store.js';
import { StreamCache } from '../events/stream-cache.js';
import type { PortCheck } from '../http/health.js';
import { ChatQueries } from '../projections/chat-queries.js';
import { ExecutionQueries } from '../projections/execution-queries.js';
import { IdentityQueries } from '../projections/identity-queries.js';
import { ResourceQueries } from '../projections/resource-queries.js';
import { resourceProjection } from '../projections/resources.js';
import { settleProjections } from '../projections/settle.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import type { AccessTokens } from './auth/access-tokens.js';
import { LoginService } from './auth/login-service.js';
import type { Mailer } from './auth/mailer.js';
import { OtpSessions } from './auth/otp-sessions.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { RefreshTokens } from './auth/refresh-tokens.js';
import type { Revocations } from './auth/revocations.js';
import { SecurityLog } from './auth/security-log.js';
import type { Keyring } from './cipher.js';
import type { Config } from './config.js';
import type { PgDataSources } from './data-sources/pg-data-sources.js';
import { enqueueExecution } from './functions/execution-jobs.js';
import { ExecutionWorker } from './functions/execution-worker.js';
import type { FunctionRunner } from './functions/function-runner.js';
import type { LiveBus } from './live-bus/live-bus.js';
import type { DevModelServer } from './llm/dev-model-server.js';
import type { Llm } from './llm/llm.js';
import { OpenAiLlm } from './llm/openai-llm.js';
import { OutboundGuard } from './outbound/outbound-guard.js';
import type { JobQueue } from './queue/job-queue.js';
import {
  buildKindServices,
  configTables,
  kindSections,
  kindService,
  projectionsOf,
  type KindRegistration,
  type KindSectionPorts,
  type KindServices,
} from './kind-registry.js';
import { SecretVault } from './secrets/secret-vault.js';
import { MessageHooks } from './turns/hooks.js';
import { ProviderResolver } from './turns/provider-resolver.js';
import { enqueueTurn } from './turns/turn-jobs.js';
import { renderOrRaw } from './turns/templates.js';
import { TurnRunner } from './turns/turn-runner.js';
import type { ToolFamily } from './turns/tool-family.js';
import type { CallLeases } from './turns/call-leases.js';
import { codeExecution } from './turns/system/code-execution.js';
import { configIntrospection } from './turns/system/config-introspection.js';
import { retrieveToolResultFamily } from './turns/system/retrieve-tool-result.js';
import { systemToolsFamily } from './turns/system/system-family.js';
import { packageManagementFamily } from './turns/system/package-management.js';
import { connectorToolFamily } from './connectors/connector-runtime.js';
import { queryFamilyOn } from './queries/query-wiring.js';
import { skillFamily } from './skills/skill-family.js';
import { loginEmailFrom } from './templates/login-email.js';
import { stateFamily } from './states/state-family.js';
import { statesOn } from './states/state-wiring.js';
import { subagentFamilyOn } from './subagents/subagent-wiring.js';
import { databaseIntrospectionFamily } from './data-sources/database-introspection.js';
import { componentFamilyOn } from './components/component-wiring.js';
import { DatabaseAnnotations } from '../commands/database-connection/annotations.js';
import type { Metrics } from './metrics/metrics.js';
import { whatIfOn, type WhatIfServices } from './whatif/whatif-wiring.js';

/** a function run's access token outlives its time limit by this much, and lives 15 minutes at least */
const FUNCTION_TOKEN_MARGIN_S = 60;
/** What the composition root opened (and closes): the adapters every service is built on. */
export interface Adapters {
  readonly pool: pg.Pool;
  readonly databaseUrl: string;
  readonly eventStore: EventStore;
  readonly queue: JobQueue;
  readonly liveBus: LiveBus;
  readonly waiter: ProjectionWaiter;
  /** the master keyring (SINAS_ENCRYPTION_KEY + SINAS_ENCRYPTION_KEY_PREVIOUS) */
  readonly cipher: Keyring;
  readonly jwtSecret: string;
  /** signs and verifies access tokens (SINAS_JWT_SECRET) */
  readonly accessTokens: AccessTokens;
  /** revoked token ids and per-user cutoffs, shared by every process (started by the API) */
  readonly revocations: Revocations;
  /** undefined: production without SMTP, login refused */
  readonly mailer: Mailer | undefined;
  readonly devModel: DevModelServer;
  /** undefined in an API-only process (SINAS_ROLE=api): it runs no functions */
  readonly functionRunner: FunctionRunner | undefined;
  /** the users' databases (database connections), a pool per connection */
  readonly dataSources: PgDataSources;
  /** leases on inline tool calls, across processes */
  readonly callLeases: CallLeases;
  /** where the `built-in` connection points (embedded: `sinas_data`; else SINAS_DATA_DATABASE_URL, if set) */
  readonly dataDatabaseUrl: string | undefined;
  /** the adapters' own health checks (database, event store, job queue, live bus) */
  readonly portChecks: readonly PortCheck[];
  /** this process's Prometheus metrics (served at /metrics when SINAS_METRICS is on) */
  readonly metrics: Metrics;
}

/** The read side: the queries the API and the runtime read the read models with. */
export interface Queries {
  readonly resources: ResourceQueries;
  readonly chats: ChatQueries;
  readonly executions: ExecutionQueries;
  readonly identity: IdentityQueries;
}

/** Every service of one process, built once. */
export interface Services extends Adapters, WhatIfServices {
  readonly commandHandler: CommandHandler;
  /** the turn runtime reads a chat, its agent and its functions at every turn: from memory when it can */
  readonly streams: StreamCache;
  readonly queries: Queries;
  /** the kinds registered in kinds.ts, by registered name: `kinds.agents`, `kinds.secrets`, … */
  readonly kindRegistrations: readonly KindRegistration[];
  readonly kinds: KindServices;
  /** the kinds other services are built on, by their registered names */
  readonly agents: ResourceService;
  readonly llmProviders: ResourceService;
  readonly functions: ResourceService;
  /** who may run a function: every execution request and agent save asks it */
  readonly executePolicy: ExecutePolicy;
  readonly executions: ExecutionService;
  readonly chats: ChatService;
  readonly identity: IdentityService;
  readonly secrets: ResourceService;
  readonly secretVault: SecretVault;
  readonly eventSubscriptions: ResourceService;
  /** declarative config: apply, export, settle */
  readonly configService: ConfigService;
  /** packages: install, preview, uninstall (on the config engine), and the installed ones */
  readonly packages: Packages;
  readonly login: LoginService;
  /** the one outbound guard (SSRF) for every call to a URL someone gave (SINAS_OUTBOUND_ALLOWLIST) */
  readonly outboundGuard: OutboundGuard;
  /** a chat message's image, audio and file parts: taken in (blobs), and read back for the model */
  readonly messageParts: MessagePartPorts;
  readonly llm: Llm;
  readonly providerResolver: ProviderResolver;
  readonly turnRunner: TurnRunner;
  /** undefined in an API-only process (SINAS_ROLE=api) */
  readonly executionWorker: ExecutionWorker | undefined;
  /** the adapters' checks plus the LLM's and the function runner's */
  readonly portChecks: readonly PortCheck[];
}

/** Builds every service on `a`, dependencies first. Constructors only: nothing here opens anything. */
export function buildServices(
  a: Adapters,
  config: Config,
  log: Logger,
  kinds: readonly KindRegistration[],
  /** tool families beyond the platform's own (a test's) */
  extraFamilies: readonly ToolFamily[] = [],
): Services {
  const commandHandler = new CommandHandler(a.eventStore);
  const queries: Queries = {
    resources: new ResourceQueries(a.pool),
    chats: new ChatQueries(a.pool),
    executions: new ExecutionQueries(a.pool),
    identity: new IdentityQueries(a.pool),
  };
  const outboundGuard = new OutboundGuard(config.outbound.allowlist);
  const resources = resourceServices(a, config, commandHandler, queries, outboundGuard, kinds);
  const executions = new ExecutionService(
    commandHandler,
    a.eventStore,
    resources.functions,
    resources.executePolicy,
    config.functionTimeoutMs,
    (executionId, run) => {
      if (config.redisUrl || config.role !== 'api') {
        enqueueExecution(a.queue, { executionId, run }).catch((err) =>
          log.warn({ err }, 'direct execution enqueue failed; the reactor will enqueue it'),
        );
      }
    },
  );
  const identity = new IdentityService(commandHandler, a.eventStore, (u) => queries.identity.rolesOf(u));
  const secretVault = new SecretVault(a.pool, a.cipher);
  const llm = new OpenAiLlm();
  const providerResolver = new ProviderResolver(queries.resources, a.cipher, a.devModel, a.waiter);
  const partial = {
    ...a,
    ...resources,
    commandHandler,
    queries,
    executions,
    identity,
    secretVault,
    outboundGuard,
    messageParts: messagePartsOn(a.pool, config, outboundGuard),
    llm,
    providerResolver,
  };
  const configs = configService(partial, config, log);
  const packages = packagesOn(partial, configs, config.consistencyTimeoutMs);
  const families = [
    ...toolFamilies({ ...partial, configService: configs, packages }, config, log),
    ...extraFamilies,
  ];
  return {
    ...partial,
    chats: chatService(partial, config, log),
    configService: configs,
    packages,
    login: loginService(partial, config, log),
    turnRunner: turnRunner(partial, config, log, families),
    ...whatIfOn(partial, config, log, families),
    executionWorker: a.functionRunner && executionWorker(partial, a.functionRunner),
    portChecks: [...a.portChecks, ...runtimeChecks(providerResolver, a.functionRunner)],
  };
}

type Built = Omit<
  Services,
  'chats' | 'configService' | 'packages' | 'login' | 'turnRunner' | 'executionWorker' | keyof WhatIfServices
>;

/** Every registered kind on the kit (kinds.ts), and who may run a function. */
function resourceServices(
  a: Adapters,
  config: Config,
  handler: CommandHandler,
  queries: Queries,
  guard: OutboundGuard,
  registrations: readonly KindRegistration[],
) {
  const streams = new StreamCache(a.eventStore);
  const resourceService = (kind: ResourceKind, options: ResourceServiceOptions = {}) =>
    new ResourceService(kind, a.eventStore, handler, flagHolders(a, queries, config), {
      seal: (v) => a.cipher.seal(v),
      streams,
      ...options,
    });
  // functions are read when a check runs, by which time every kind's service is built
  const functionsOf = { at: (...args: Parameters<ResourceService['at']>) => functions().at(...args) };
  const executePolicy = new ExecutePolicy(functionsOf, async (userId) => {
    return (await queries.identity.permissionsOf(userId)).permissions;
  });
  const kinds = buildKindServices(registrations, resourceService, {
    adapters: a,
    guard,
    executePolicy,
    config,
  });
  const functions = () => kindService(kinds, 'functions');
  return {
    streams,
    executePolicy,
    kindRegistrations: registrations,
    kinds,
    functions: functions(),
    agents: kindService(kinds, 'agents'),
    llmProviders: kindService(kinds, 'llmProviders'),
    secrets: kindService(kinds, 'secrets'),
    eventSubscriptions: kindService(kinds, 'eventSubscriptions'),
  };
}

function chatService(s: Built, config: Config, log: Logger): ChatService {
  return new ChatService(
    s.commandHandler,
    s.eventStore,
    s.agents,
    (template, vars) => renderOrRaw(template, vars),
    (chatId, turnId, wake) => {
      // only where a worker will see the job: a shared queue, or this process's own workers
      if (config.redisUrl || config.role !== 'api') {
        enqueueTurn(s.queue, { chatId, turnId }, wake).catch((err) =>
          log.warn({ err }, 'direct turn enqueue failed; the reactor will enqueue it'),
        );
      }
    },
    () => s.queue.assertAvailable(),
    undefined,
    s.messageParts.intake,
  );
}

function configService(s: Built, config: Config, log: Logger): ConfigService {
  const read = new Set<string>(configTables(s.kindRegistrations));
  const projections = projectionsOf(s.kindRegistrations).filter((p) => read.has(p.name));
  return new ConfigService({
    sections: configSections(
      { store: s.eventStore, identity: s.identity, identityCatalog: s.queries.identity },
      kindSections(s.kindRegistrations, s.kinds, sectionPorts(s, log)),
    ),
    store: s.eventStore,
    env: () => process.env,
    settle: () => settleProjections(s.pool, s.eventStore, s.waiter, projections, config.consistencyTimeoutMs),
  });
}

/** What the kinds' config sections read the platform with. */
export function sectionPorts(s: Built, log: Logger): KindSectionPorts {
  return {
    items: (kind, namespace) => s.queries.resources.all(kind, namespace),
    service: (name) => kindService(s.kinds, name),
    policy: s.executePolicy,
    cipher: s.cipher,
    secretVault: s.secretVault,
    eventStore: s.eventStore,
    log,
  };
}

function loginService(s: Built, config: Config, log: Logger): LoginService {
  const limiter = new RateLimiter(s.pool);
  return new LoginService({
    users: s.queries.identity,
    otp: new OtpSessions(s.pool, s.jwtSecret, {
      ttlMs: config.login.otpTtlMs,
      maxAttempts: config.login.otpMaxAttempts,
    }),
    refresh: new RefreshTokens(s.pool),
    tokens: s.accessTokens,
    revocations: s.revocations,
    limiter,
    security: new SecurityLog(s.eventStore, limiter, config.login.securityEventsPerIp, log),
    mailer: s.mailer,
    loginEmail: loginEmailFrom(s.kinds.templates, log),
    store: s.eventStore,
    waiter: s.waiter,
    consistencyTimeoutMs: config.consistencyTimeoutMs,
    config: config.login,
  });
}

/**
 * The tool families a turn offers and runs inline, in offer order (the first to offer a name keeps
 * it): the platform's own `retrieve_tool_result` first, then system tools, connectors, queries,
 * skills and states.
 */
function toolFamilies(
  s: Built & Pick<Services, 'configService' | 'packages'>,
  config: Config,
  log: Logger,
): ToolFamily[] {
  return [
    retrieveToolResultFamily(s.streams),
    systemToolsFamily({
      configIntrospection: configIntrospection({
        kinds: s.kindRegistrations,
        queries: s.queries.resources,
        permissionsOf: async (u) => (await s.queries.identity.permissionsOf(u)).permissions,
      }),
      codeExecution: codeExecution({ runner: s.functionRunner, timeoutMs: config.codeExecutionTimeoutMs }),
    }),
    packageManagementFamily({
      packages: s.packages.service,
      queries: s.packages.queries,
      sections: () => s.configService.sections,
      permissionsOf: async (u) => (await s.queries.identity.permissionsOf(u)).permissions,
      // `file_path`: a collection file the chat's user may read
      files: s.kinds.collections && filesOn({ ...s, collections: s.kinds.collections, log }, config).files,
    }),
    // a platform serving fewer kinds (a test's) offers no tools of the kinds it lacks
    ...(s.kinds.connectors
      ? [connectorToolFamily(s, { maxResponseBytes: config.outbound.connectorMaxResponseBytes }, log)]
      : []),
    ...(s.kinds.databaseConnections
      ? [databaseIntrospectionFamily(s.dataSources, new DatabaseAnnotations(s.eventStore))]
      : []),
    ...(s.kinds.queries
      ? [
          queryFamilyOn({
            queries: s.kinds.queries,
            dataSources: s.dataSources,
            store: s.eventStore,
            identity: s.queries.identity,
            log,
          }),
        ]
      : []),
    ...(s.kinds.skills
      ? [
          skillFamily({
            skills: s.kinds.skills,
            permissionsOf: async (u) => (await s.queries.identity.permissionsOf(u)).permissions,
          }),
        ]
      : []),
    ...(s.kinds.components ? [componentFamilyOn(s, s.kinds.components)] : []),
    ...(s.kinds.stores
      ? [
          stateFamily({
            states: statesOn({
              pool: s.pool,
              store: s.eventStore,
              handler: s.commandHandler,
              stores: s.kinds.stores,
              cipher: s.cipher,
              waiter: s.waiter,
              consistencyTimeoutMs: config.consistencyTimeoutMs,
            }),
            permissionsOf: async (id) => (await s.queries.identity.permissionsOf(id)).permissions,
          }),
        ]
      : []),
    ...(s.kinds.collections ? [collectionFamily(s, config, log)] : []),
    subagentFamilyOn({
      store: s.eventStore,
      handler: s.commandHandler,
      agents: s.agents,
      resources: s.queries.resources,
      identity: s.queries.identity,
      queue: s.queue,
      maxDepth: config.subagentMaxDepth,
    }),
  ];
}

/** the five file tools per enabled collection, on this process's file service */
function collectionFamily(s: Built, config: Config, log: Logger): ToolFamily {
  const { files, urls } = filesOn({ ...s, collections: s.kinds.collections!, log }, config);
  return fileFamily({
    files,
    urls,
    permissionsOf: async (u) => (await s.queries.identity.permissionsOf(u)).permissions,
  });
}

function turnRunner(s: Built, config: Config, log: Logger, families: readonly ToolFamily[]): TurnRunner {
  return new TurnRunner({
    store: s.eventStore,
    streams: s.streams,
    handler: s.commandHandler,
    agents: s.agents,
    resolver: s.providerResolver,
    llm: s.llm,
    bus: s.liveBus,
    functions: s.functions,
    executions: s.executions,
    maxToolRounds: config.maxToolRounds,
    history: config.history,
    hooks: new MessageHooks(s.executions),
    families,
    leases: s.callLeases,
    resolveParts: s.messageParts.resolve,
    log,
  });
}

function executionWorker(s: Built, runner: FunctionRunner): ExecutionWorker {
  return new ExecutionWorker({
    store: s.eventStore,
    handler: s.commandHandler,
    executions: s.executions,
    functions: s.functions,
    runner,
    secrets: s.secretVault,
    runAs: async (userId, timeoutMs) => {
      const u = await s.queries.identity.user(userId);
      const email = u?.email ?? null;
      const ttlS = Math.max(900, Math.ceil(timeoutMs / 1000) + FUNCTION_TOKEN_MARGIN_S);
      const accessToken = await s.accessTokens.issue({ id: userId, email }, { typ: 'function', ttlS });
      return { email, accessToken };
    },
  });
}

/** The LLM's check (it describes the default provider) and, in a worker, the function runner's. */
function runtimeChecks(resolver: ProviderResolver, runner: FunctionRunner | undefined): PortCheck[] {
  const llm: PortCheck = {
    port: 'llm',
    adapter: 'openai-compatible',
    check: async () => {},
    describe: () => resolver.describe(),
  };
  if (!runner) return [llm];
  return [
    llm,
    {
      port: 'functionRunner',
      adapter: runner.health().sandbox,
      check: async () => {},
      describe: async () => {
        const h = runner.health();
        return `${h.sandbox} ${JSON.stringify(h.detail)}`;
      },
    },
  ];
}

/**
 * A unique flag's other holders, read once the kind's read model has the write that set it (and so
 * every write before it); bounded like any read-your-writes wait, after which it reads what is there.
 */
export function flagHolders(
  a: Pick<Adapters, 'waiter'>,
  queries: Pick<Queries, 'resources'>,
  config: Pick<Config, 'consistencyTimeoutMs'>,
): FlagHolders {
  return async (kind, flag, position) => {
    await a.waiter.waitFor([resourceProjection(kind).name], position, config.consistencyTimeoutMs);
    return queries.resources.flagHolders(kind, flag);
  };
}
