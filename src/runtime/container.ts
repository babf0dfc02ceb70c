/**
 * The composition root: the only place that knows concrete adapters and the tsyringe container.
 * Adapters are chosen by configuration (DESIGN §3); everything else gets plain constructor arguments.
 */
import 'reflect-metadata';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { agentKind, AGENT_SCHEMA_FIELDS } from '../commands/agent/agent-kind.js';
import { CommandHandler } from '../commands/command-handler.js';
import { llmProviderKind } from '../commands/llm-provider/llm-provider-kind.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import { ResourceService, type ResourceServiceOptions } from '../commands/resource/resource-service.js';
import { EsdbEventStore } from '../events/esdb/esdb-event-store.js';
import type { EventStore } from '../events/event-store.js';
import { PgEventStore } from '../events/postgres/pg-event-store.js';
import { ResourceQueries } from '../projections/resource-queries.js';
import { ProjectionWaiter } from '../projections/waiter.js';
import type { PortCheck } from '../http/health.js';
import { ChatService } from '../commands/chat/chat-service.js';
import { ExecutionService } from '../commands/execution/execution-service.js';
import { ExecutePolicy } from '../commands/execution/execute-policy.js';
import { agentFunctionCheck } from '../commands/agent/agent-functions.js';
import { FUNCTION_SCHEMA_FIELDS, functionKind } from '../commands/function/function-kind.js';
import { checkFunctionSpec } from '../commands/function/python-syntax.js';
import { ExecutionQueries } from '../projections/execution-queries.js';
import { IdentityService } from '../commands/identity/identity-service.js';
import { IdentityQueries } from '../projections/identity-queries.js';
import { enqueueExecution } from './functions/execution-jobs.js';
import { ExecutionWorker } from './functions/execution-worker.js';
import type { FunctionRunner } from './functions/function-runner.js';
import { createFunctionRunner, runnerConfigFromEnv } from './functions/runners/index.js';
import { ChatQueries } from '../projections/chat-queries.js';
import { loadKeyring } from './cipher.js';
import { secretHooks, secretKind } from '../commands/secret/secret-kind.js';
import { PgDataKeys } from './secrets/data-keys.js';
import { SecretVault } from './secrets/secret-vault.js';
import { DevModelServer } from './llm/dev-model-server.js';
import { StreamCache } from '../events/stream-cache.js';
import { OpenAiLlm } from './llm/openai-llm.js';
import { ProviderResolver } from './turns/provider-resolver.js';
import { enqueueTurn } from './turns/turn-jobs.js';
import { TurnRunner } from './turns/turn-runner.js';
import { MessageHooks } from './turns/hooks.js';
import type { Config } from './config.js';
import { AccessTokens, loadJwtSecret } from './auth/access-tokens.js';
import { LoginService } from './auth/login-service.js';
import { createMailer } from './auth/mailer.js';
import { OtpSessions } from './auth/otp-sessions.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { RefreshTokens } from './auth/refresh-tokens.js';
import { Revocations } from './auth/revocations.js';
import { SecurityLog } from './auth/security-log.js';
import { ConfigService } from '../commands/config/config-service.js';
import { configSections } from '../commands/config/sections/index.js';
import { allProjections } from '../projections/index.js';
import { settleProjections } from '../projections/settle.js';
import type { Sealed } from './cipher.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import type { LiveBus } from './live-bus/live-bus.js';
import { MemoryLiveBus } from './live-bus/memory-live-bus.js';
import { RedisLiveBus } from './live-bus/redis-live-bus.js';
import { migrate } from './migrate.js';
import { checkDatabaseRole } from './database-role-check.js';
import { BullMqQueue } from './queue/bullmq-queue.js';
import { InProcessQueue } from './queue/in-process-queue.js';
import type { JobQueue } from './queue/job-queue.js';
import {
  eventSubscriptionHooks,
  eventSubscriptionKind,
} from '../commands/event-subscription/event-subscription-kind.js';
import { signingSecrets } from './webhooks/signing-secrets.js';
import { OutboundGuard } from './outbound/outbound-guard.js';

export const TOKENS = {
  Config: Symbol('Config'),
  Log: Symbol('Log'),
  Pool: Symbol('Pool'),
  DatabaseUrl: Symbol('DatabaseUrl'),
  EventStore: Symbol('EventStore'),
  JobQueue: Symbol('JobQueue'),
  LiveBus: Symbol('LiveBus'),
  CommandHandler: Symbol('CommandHandler'),
  ResourceQueries: Symbol('ResourceQueries'),
  ProjectionWaiter: Symbol('ProjectionWaiter'),
  AgentService: Symbol('AgentService'),
  LlmProviderService: Symbol('LlmProviderService'),
  /** the master keyring (SINAS_ENCRYPTION_KEY + SINAS_ENCRYPTION_KEY_PREVIOUS) */
  Cipher: Symbol('Cipher'),
  SecretService: Symbol('SecretService'),
  SecretVault: Symbol('SecretVault'),
  ChatService: Symbol('ChatService'),
  ChatQueries: Symbol('ChatQueries'),
  ProviderResolver: Symbol('ProviderResolver'),
  TurnRunner: Symbol('TurnRunner'),
  Llm: Symbol('Llm'),
  FunctionService: Symbol('FunctionService'),
  ExecutionService: Symbol('ExecutionService'),
  /** who may run a function: every execution request and agent save asks it */
  ExecutePolicy: Symbol('ExecutePolicy'),
  ExecutionQueries: Symbol('ExecutionQueries'),
  FunctionRunner: Symbol('FunctionRunner'),
  ExecutionWorker: Symbol('ExecutionWorker'),
  IdentityService: Symbol('IdentityService'),
  IdentityQueries: Symbol('IdentityQueries'),
  ConfigService: Symbol('ConfigService'),
  PortChecks: Symbol('PortChecks'),
  /** signs and verifies access tokens (SINAS_JWT_SECRET) */
  AccessTokens: Symbol('AccessTokens'),
  LoginService: Symbol('LoginService'),
  /** revoked token ids and per-user cutoffs, shared by every process (started by the API) */
  Revocations: Symbol('Revocations'),
  /** the one outbound guard (SSRF) for every call to a URL someone gave (SINAS_OUTBOUND_ALLOWLIST) */
  OutboundGuard: Symbol('OutboundGuard'),
  EventSubscriptionService: Symbol('EventSubscriptionService'),
} as const;

/** a function run's access token outlives its time limit by this much, and lives 15 minutes at least */
const FUNCTION_TOKEN_MARGIN_S = 60;
/** The read models a declarative config reads (references, export) and writes. */
export const CONFIG_PROJECTIONS = ['identity', 'llm_providers', 'secrets', 'functions', 'agents'] as const;

export interface Composition {
  readonly container: DependencyContainer;
  /** closes everything the composition opened, in reverse order */
  dispose(): Promise<void>;
}

export async function compose(config: Config, log: Logger): Promise<Composition> {
  const closers: (() => Promise<void>)[] = [];
  const c = rootContainer.createChildContainer();
  try {
    let embedded: EmbeddedDatabase | undefined;
    if (!config.databaseUrl) {
      embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.embeddedPgPort,
        tcp: config.embeddedPgPort !== undefined,
        log: (m) => log.warn(m),
      });
      closers.push(() => embedded!.stop());
    }
    const databaseUrl = config.databaseUrl ?? embedded!.url;
    const pool = new pg.Pool({ connectionString: databaseUrl, max: config.pgPoolMax });
    pool.on('error', (err) => log.error({ err }, 'idle database connection failed'));
    closers.push(() => pool.end());
    await checkDatabaseRole(pool, config.env, (m) => log.warn(m));
    await migrate(pool);
    const store: EventStore = config.eventStoreUrl
      ? await EsdbEventStore.connect(config.eventStoreUrl)
      : new PgEventStore(pool, databaseUrl);
    closers.push(() => store.close());
    const queue: JobQueue = config.redisUrl
      ? new BullMqQueue({ url: config.redisUrl })
      : new InProcessQueue();
    closers.push(() => queue.close());
    const bus: LiveBus = config.redisUrl ? new RedisLiveBus({ url: config.redisUrl }) : new MemoryLiveBus();
    closers.push(() => bus.close());
    const cipher = loadKeyring(
      config.encryptionKey,
      config.encryptionKeyPrevious,
      config.env,
      config.dataDir,
      (m) => log.warn(m),
    );
    const waiter = new ProjectionWaiter(pool, databaseUrl);
    closers.push(() => waiter.stop());
    const jwtSecret = loadJwtSecret(config.jwtSecret, config.env, config.dataDir, (m) => log.warn(m));
    const accessTokens = new AccessTokens(jwtSecret);
    const revocations = new Revocations(pool, databaseUrl, (err) =>
      log.error({ err }, 'reading the revoked credentials failed (retrying)'),
    );
    closers.push(() => revocations.stop());
    const mailer = createMailer(config.env, config.smtp, log);
    if (mailer) closers.push(() => mailer.close());

    c.register(TOKENS.Config, { useValue: config });
    c.register(TOKENS.Log, { useValue: log });
    c.register(TOKENS.Pool, { useValue: pool });
    c.register(TOKENS.DatabaseUrl, { useValue: databaseUrl });
    c.register(TOKENS.EventStore, { useValue: store });
    c.register(TOKENS.JobQueue, { useValue: queue });
    c.register(TOKENS.LiveBus, { useValue: bus });
    c.register(TOKENS.ProjectionWaiter, { useValue: waiter });
    c.register(TOKENS.Cipher, { useValue: cipher });
    c.register(TOKENS.AccessTokens, { useValue: accessTokens });
    c.register(TOKENS.Revocations, { useValue: revocations });
    c.register(TOKENS.CommandHandler, {
      useFactory: instanceCachingFactory((d) => new CommandHandler(d.resolve(TOKENS.EventStore))),
    });
    c.register(TOKENS.ResourceQueries, {
      useFactory: instanceCachingFactory((d) => new ResourceQueries(d.resolve(TOKENS.Pool))),
    });
    // the turn runtime reads a chat, its agent and its functions at every turn: from memory when it can
    const streams = new StreamCache(store);
    const resourceService = (
      kind: ResourceKind,
      options: ResourceServiceOptions | ((d: DependencyContainer) => ResourceServiceOptions) = {},
    ) =>
      instanceCachingFactory((d) => {
        const queries = d.resolve<ResourceQueries>(TOKENS.ResourceQueries);
        return new ResourceService(
          kind,
          store,
          d.resolve(TOKENS.CommandHandler),
          (k, f) => queries.flagHolders(k, f),
          { seal: (v) => cipher.seal(v), streams, ...(typeof options === 'function' ? options(d) : options) },
        );
      });
    c.register(TOKENS.SecretService, {
      useFactory: resourceService(secretKind, secretHooks(new PgDataKeys(pool, cipher))),
    });
    const guard = new OutboundGuard(config.outbound.allowlist);
    c.register(TOKENS.OutboundGuard, { useValue: guard });
    c.register(TOKENS.EventSubscriptionService, {
      useFactory: resourceService(
        eventSubscriptionKind,
        eventSubscriptionHooks(signingSecrets(cipher), guard),
      ),
    });
    c.register(TOKENS.SecretVault, { useValue: new SecretVault(pool, cipher) });
    c.register(TOKENS.ExecutePolicy, {
      useFactory: instanceCachingFactory((d) => {
        const identity = d.resolve<IdentityQueries>(TOKENS.IdentityQueries);
        return new ExecutePolicy(d.resolve(TOKENS.FunctionService), async (userId) => {
          return (await identity.permissionsOf(userId)).permissions;
        });
      }),
    });
    c.register(TOKENS.AgentService, {
      useFactory: resourceService(agentKind, (d) => ({
        schemaFields: AGENT_SCHEMA_FIELDS,
        checkSpec: agentFunctionCheck(d.resolve(TOKENS.ExecutePolicy)),
      })),
    });
    c.register(TOKENS.LlmProviderService, { useFactory: resourceService(llmProviderKind) });
    c.register(TOKENS.FunctionService, {
      useFactory: resourceService(functionKind, {
        schemaFields: FUNCTION_SCHEMA_FIELDS,
        checkSpec: checkFunctionSpec,
      }),
    });
    c.register(TOKENS.ExecutionService, {
      useFactory: instanceCachingFactory(
        (d) =>
          new ExecutionService(
            d.resolve(TOKENS.CommandHandler),
            store,
            d.resolve(TOKENS.FunctionService),
            d.resolve(TOKENS.ExecutePolicy),
            config.functionTimeoutMs,
            (executionId, run) => {
              if (config.redisUrl || config.role !== 'api') {
                enqueueExecution(queue, { executionId, run }).catch((err) =>
                  log.warn({ err }, 'direct execution enqueue failed; the reactor will enqueue it'),
                );
              }
            },
          ),
      ),
    });
    c.register(TOKENS.IdentityQueries, {
      useFactory: instanceCachingFactory((d) => new IdentityQueries(d.resolve(TOKENS.Pool))),
    });
    c.register(TOKENS.IdentityService, {
      useFactory: instanceCachingFactory((d) => {
        const queries = d.resolve<IdentityQueries>(TOKENS.IdentityQueries);
        return new IdentityService(d.resolve(TOKENS.CommandHandler), store, (u) => queries.rolesOf(u));
      }),
    });
    c.register(TOKENS.LoginService, {
      useFactory: instanceCachingFactory((d) => {
        const limiter = new RateLimiter(pool);
        return new LoginService({
          users: d.resolve(TOKENS.IdentityQueries),
          otp: new OtpSessions(pool, jwtSecret, {
            ttlMs: config.login.otpTtlMs,
            maxAttempts: config.login.otpMaxAttempts,
          }),
          refresh: new RefreshTokens(pool),
          tokens: accessTokens,
          revocations,
          limiter,
          security: new SecurityLog(store, limiter, config.login.securityEventsPerIp, log),
          mailer,
          store,
          waiter,
          consistencyTimeoutMs: config.consistencyTimeoutMs,
          config: config.login,
        });
      }),
    });
    c.register(TOKENS.ExecutionQueries, {
      useFactory: instanceCachingFactory((d) => new ExecutionQueries(d.resolve(TOKENS.Pool))),
    });
    c.register(TOKENS.ConfigService, {
      useFactory: instanceCachingFactory((d) => {
        const vault = d.resolve<SecretVault>(TOKENS.SecretVault);
        const read = new Set<string>(CONFIG_PROJECTIONS);
        const projections = allProjections().filter((p) => read.has(p.name));
        return new ConfigService({
          sections: configSections({
            store,
            identity: d.resolve(TOKENS.IdentityService),
            identityCatalog: d.resolve(TOKENS.IdentityQueries),
            items: (kind, namespace) =>
              d.resolve<ResourceQueries>(TOKENS.ResourceQueries).all(kind, namespace),
            agents: d.resolve(TOKENS.AgentService),
            functions: d.resolve(TOKENS.FunctionService),
            policy: d.resolve(TOKENS.ExecutePolicy),
            llmProviders: d.resolve(TOKENS.LlmProviderService),
            secrets: d.resolve(TOKENS.SecretService),
            openProviderKey: (sealed) => {
              try {
                return cipher.open(sealed as Sealed);
              } catch {
                return undefined; // sealed under a master key no longer configured: treat as changed
              }
            },
            openSecret: (id, value) => vault.open(id, value as Sealed).catch(() => undefined),
          }),
          store,
          env: () => process.env,
          settle: () => settleProjections(pool, store, waiter, projections, config.consistencyTimeoutMs),
        });
      }),
    });
    if (config.role !== 'api') {
      const runner = await createFunctionRunner({
        ...runnerConfigFromEnv(),
        environment: config.env,
        sharedPool: { secrets: { ...config.sharedPoolSecrets } },
        logger: { warn: (m) => log.warn(m) },
      });
      closers.push(() => runner.close());
      c.register(TOKENS.FunctionRunner, { useValue: runner });
      c.register(TOKENS.ExecutionWorker, {
        useFactory: instanceCachingFactory(
          (d) =>
            new ExecutionWorker({
              store,
              handler: d.resolve(TOKENS.CommandHandler),
              executions: d.resolve(TOKENS.ExecutionService),
              functions: d.resolve(TOKENS.FunctionService),
              runner,
              secrets: d.resolve(TOKENS.SecretVault),
              runAs: async (userId, timeoutMs) => {
                const u = await d.resolve<IdentityQueries>(TOKENS.IdentityQueries).user(userId);
                const email = u?.email ?? null;
                const ttlS = Math.max(900, Math.ceil(timeoutMs / 1000) + FUNCTION_TOKEN_MARGIN_S);
                const accessToken = await accessTokens.issue(
                  { id: userId, email },
                  { typ: 'function', ttlS },
                );
                return { email, accessToken };
              },
            }),
        ),
      });
    }
    const devModel = new DevModelServer();
    c.register(TOKENS.Llm, { useValue: new OpenAiLlm() });
    closers.push(() => devModel.stop());
    c.register(TOKENS.ChatQueries, {
      useFactory: instanceCachingFactory((d) => new ChatQueries(d.resolve(TOKENS.Pool))),
    });
    c.register(TOKENS.ChatService, {
      useFactory: instanceCachingFactory(
        (d) =>
          new ChatService(
            d.resolve(TOKENS.CommandHandler),
            store,
            d.resolve(TOKENS.AgentService),
            (chatId, turnId, wake) => {
              // only where a worker will see the job: a shared queue, or this process's own workers
              if (config.redisUrl || config.role !== 'api') {
                enqueueTurn(queue, { chatId, turnId }, wake).catch((err) =>
                  log.warn({ err }, 'direct turn enqueue failed; the reactor will enqueue it'),
                );
              }
            },
          ),
      ),
    });
    c.register(TOKENS.ProviderResolver, {
      useFactory: instanceCachingFactory(
        (d) => new ProviderResolver(d.resolve(TOKENS.ResourceQueries), cipher, devModel, waiter),
      ),
    });
    c.register(TOKENS.TurnRunner, {
      useFactory: instanceCachingFactory(
        (d) =>
          new TurnRunner({
            store,
            streams,
            handler: d.resolve(TOKENS.CommandHandler),
            agents: d.resolve(TOKENS.AgentService),
            resolver: d.resolve(TOKENS.ProviderResolver),
            llm: d.resolve(TOKENS.Llm),
            bus,
            functions: d.resolve(TOKENS.FunctionService),
            executions: d.resolve(TOKENS.ExecutionService),
            maxToolRounds: config.maxToolRounds,
            hooks: new MessageHooks(d.resolve(TOKENS.ExecutionService)),
          }),
      ),
    });
    const checks = portChecks(config, pool, store, embedded !== undefined, closers);
    c.register(TOKENS.PortChecks, {
      useFactory: instanceCachingFactory((d) => {
        const resolver = d.resolve<ProviderResolver>(TOKENS.ProviderResolver);
        const llm: PortCheck = {
          port: 'llm',
          adapter: 'openai-compatible',
          check: async () => {},
          describe: () => resolver.describe(),
        };
        const out = [...checks, llm];
        if (d.isRegistered(TOKENS.FunctionRunner)) {
          const runner = d.resolve<FunctionRunner>(TOKENS.FunctionRunner);
          out.push({
            port: 'functionRunner',
            adapter: runner.health().sandbox,
            check: async () => {},
            describe: async () => {
              const h = runner.health();
              return `${h.sandbox} ${JSON.stringify(h.detail)}`;
            },
          });
        }
        return out;
      }),
    });
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
  return {
    container: c,
    async dispose() {
      for (const close of closers.reverse())
        await close().catch((err) => log.error({ err }, 'shutdown step failed'));
    },
  };
}

function portChecks(
  config: Config,
  pool: pg.Pool,
  store: EventStore,
  embedded: boolean,
  closers: (() => Promise<void>)[],
): PortCheck[] {
  const checks: PortCheck[] = [
    {
      port: 'database',
      adapter: embedded ? 'embedded-postgres' : 'postgres',
      check: async () => void (await pool.query('SELECT 1')),
    },
    { port: 'eventStore', adapter: store.kind, check: () => store.ping() },
  ];
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    redis.on('error', () => {});
    closers.push(async () => void redis.disconnect());
    let connected: Promise<void> | undefined;
    const ping = async () => {
      connected ??= redis.connect().catch((err) => {
        connected = undefined;
        throw err;
      });
      await connected;
      await redis.ping();
    };
    checks.push(
      { port: 'jobQueue', adapter: 'bullmq', check: ping },
      { port: 'liveBus', adapter: 'redis-streams', check: ping },
    );
  } else {
    const inProcess = async () => {};
    checks.push(
      { port: 'jobQueue', adapter: 'in-process', check: inProcess },
      { port: 'liveBus', adapter: 'memory', check: inProcess },
    );
  }
  return checks;
}
