/**
 * One running process: the API (express), the worker (projection runners), or both. `start` wires
 * everything through the composition root; `stop` shuts down gracefully in reverse order.
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ResourceService } from '../commands/resource/resource-service.js';
import type { EventStore } from '../events/event-store.js';
import { ApiKeys } from './auth/api-keys.js';
import { TurnWaiter } from './turns/turn-waiter.js';
import { ChatFeed } from './chat-feed/chat-feed.js';
import { ApiKeyService } from '../commands/api-key/api-key-service.js';
import { ApiKeyQueries } from '../projections/api-key-queries.js';
import { asUserId } from '../events/ids.js';
import { buildApp } from '../http/app.js';
import { endStreams } from '../http/sse.js';
import { registerHealth, type PortCheck } from '../http/health.js';
import { registerResourceRoutes } from '../http/resources.js';
import { RouteRegistry, type RouteSpec } from '../http/routes.js';
import { readCheckpoint } from '../projections/checkpoints.js';
import { allProjections, ensureReadModels } from '../projections/index.js';
import { installAnalytics } from '../projections/analytics.js';
import { rebuildProjection } from '../projections/rebuild.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import { ProjectionRunner } from '../projections/runner.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import type { ChatService } from '../commands/chat/chat-service.js';
import { Invoker } from '../commands/chat/invoke.js';
import { registerChatRoutes } from '../http/chats.js';
import { registerConsoleRoutes } from '../http/console.js';
import type { ChatQueries } from '../projections/chat-queries.js';
import { ChatSnapshotQueries } from '../projections/chat-snapshot-queries.js';
import { ExecutionViewQueries } from '../projections/execution-view-queries.js';
import type { Projection } from '../projections/projection.js';
import { registerOpenAiAdapterRoutes } from '../http/openai-adapter.js';
import type { Config } from './config.js';
import type { Llm } from './llm/llm.js';
import type { ProviderResolver } from './turns/provider-resolver.js';
import type { LiveBus } from './live-bus/live-bus.js';
import type { JobQueue } from './queue/job-queue.js';
import { purgeReactor, startPurgeWorkers, sweepExpiredChats } from './turns/purge.js';
import { startTurnWorkers, sweepOpenTurns, turnReactor } from './turns/turn-jobs.js';
import type { TurnRunner } from './turns/turn-runner.js';
import type { ExecutionService } from '../commands/execution/execution-service.js';
import { sharedPoolPermission } from '../commands/function/function-kind.js';
import { registerExecutionRoutes } from '../http/executions.js';
import type { ExecutionQueries } from '../projections/execution-queries.js';
import { executionReactor, startExecutionWorkers, sweepExecutions } from './functions/execution-jobs.js';
import type { ExecutionWorker } from './functions/execution-worker.js';
import { hookReactor } from './turns/hooks.js';
import type { IdentityService } from '../commands/identity/identity-service.js';
import { defaultRoles } from '../commands/identity/default-roles.js';
import { parsePermission } from '../commands/identity/permissions.js';
import { registerIdentityRoutes } from '../http/identity.js';
import { registerApiKeyRoutes } from '../http/api-key-routes.js';
import { registerAuditRoutes } from '../http/audit.js';
import { loadSigningKey } from '../audit/signing-key-loader.js';
import { AuditLog } from '../audit/audit-query.js';
import { Timelines } from '../audit/timeline.js';
import type { IdentityQueries } from '../projections/identity-queries.js';
import type { CommandHandler } from '../commands/command-handler.js';
import { compose, TOKENS, type Composition } from './container.js';
import { registerConfigRoutes } from '../http/config.js';
import type { ConfigService } from '../commands/config/config-service.js';
import { registerSecretRoutes } from '../http/secrets.js';
import type { SecretService } from '../commands/secret/secret-service.js';
import type { SecretQueries } from '../projections/secret-queries.js';
import { registerLoginRoutes } from '../http/login.js';
import { looksLikeJwt, type AccessTokens } from './auth/access-tokens.js';
import { CredentialGate } from './auth/credential-gate.js';
import { credentialReactor } from './auth/credential-reactor.js';
import type { Revocations } from './auth/revocations.js';
import type { LoginService } from './auth/login-service.js';
import { registerEventSubscriptionRoutes } from '../http/event-subscriptions.js';
import type { EventSubscriptionService } from '../commands/event-subscription/event-subscription-service.js';
import type { EventSubscriptionQueries } from '../projections/event-subscription-queries.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { EventVisibility } from '../audit/visibility.js';
import type { OutboundGuard } from './outbound/outbound-guard.js';
import type { Sealer } from './cipher.js';
import { listenHttp } from './http-listen.js';

/** A user's permissions, read again whenever the identity read model has moved on. */
function cachedPermissions(queries: IdentityQueries, waiter: ProjectionWaiter) {
  const cache = new Map<string, { at: bigint | undefined; permissions: Record<string, boolean> }>();
  return async (userId: string) => {
    const at = waiter.reachedOf('identity');
    const hit = cache.get(userId);
    if (hit && at !== undefined && hit.at === at) return hit.permissions;
    const { permissions } = await queries.permissionsOf(userId);
    if (cache.size > 10_000) cache.clear();
    cache.set(userId, { at, permissions });
    return permissions;
  };
}

export class Platform {
  private server: Server | undefined;
  private runners: ProjectionRunner[] = [];
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: Config,
    private readonly log: Logger,
    private readonly composition: Composition,
  ) {}

  static async start(config: Config, log: Logger): Promise<Platform> {
    const composition = await compose(config, log);
    const platform = new Platform(config, log, composition);
    try {
      if (config.role !== 'api') await platform.startWorker();
      if (config.role !== 'worker') await platform.startApi();
    } catch (err) {
      await platform.discardUnshownKey();
      await platform.stop();
      throw err;
    }
    return platform;
  }

  /** a bootstrap key generated by this start and not yet printed */
  private unshownKey: { keys: ApiKeys; key: string } | undefined;

  /** A start that failed before printing its bootstrap key forgets it, so the next start makes and prints one. */
  private async discardUnshownKey(): Promise<void> {
    if (!this.unshownKey) return;
    await this.unshownKey.keys
      .discard(this.unshownKey.key)
      .catch((err) =>
        this.log.error(
          { err },
          'the bootstrap key made at this start was never shown and could not be discarded: `npx sinas admin-key reset` makes a new one',
        ),
      );
  }

  get<T>(token: symbol): T {
    return this.composition.container.resolve<T>(token);
  }

  /** The API's base URL, when this process serves it. */
  get url(): string | undefined {
    const addr = this.server?.address();
    return addr && typeof addr === 'object' ? `http://127.0.0.1:${addr.port}` : undefined;
  }

  private async startWorker(): Promise<void> {
    const pool = this.get<pg.Pool>(TOKENS.Pool);
    const store = this.get<EventStore>(TOKENS.EventStore);
    await installAnalytics(pool, allProjections(), { log: this.log });
    for (const p of allProjections()) {
      const cp = await readCheckpoint(pool, p.name);
      if (cp && cp.version !== p.version) {
        this.log.warn(
          { projection: p.name, from: cp.version, to: p.version },
          'projection version changed: rebuilding beside the live one',
        );
        void rebuildProjection(pool, store, p).catch((err) => this.log.error({ err }, 'rebuild failed'));
      }
      this.startRunner(p);
    }
    const queue = this.get<JobQueue>(TOKENS.JobQueue);
    this.startRunner(turnReactor(queue));
    await startTurnWorkers(queue, this.get<TurnRunner>(TOKENS.TurnRunner), this.config.turnConcurrency);
    this.startRunner(purgeReactor(queue));
    await startPurgeWorkers(queue, store);
    this.startRunner(executionReactor(queue));
    this.startRunner(hookReactor(store, this.get<CommandHandler>(TOKENS.CommandHandler)));
    this.startRunner(credentialReactor(this.get<Revocations>(TOKENS.Revocations)));
    await startExecutionWorkers(
      queue,
      this.get<ExecutionWorker>(TOKENS.ExecutionWorker),
      this.config.executionConcurrency,
    );
    this.dispatcher = new WebhookDispatcher({
      pool,
      store,
      cipher: this.get<Sealer>(TOKENS.Cipher),
      guard: this.get<OutboundGuard>(TOKENS.OutboundGuard),
      config: this.config.webhooks,
      log: this.log,
      permissionsOf: async (userId) =>
        (await this.get<IdentityQueries>(TOKENS.IdentityQueries).permissionsOf(userId)).permissions,
    });
    this.dispatcher.start();
    const sweep = () =>
      Promise.all([
        sweepOpenTurns(pool, queue).then(
          (n) => n > 0 && this.log.warn({ turns: n }, 're-enqueued open turns that had no job'),
        ),
        sweepExpiredChats(pool, store).then(
          (n) => n > 0 && this.log.info({ chats: n }, 'purged expired chats'),
        ),
        sweepExecutions(pool, queue).then(
          (n) => n > 0 && this.log.warn({ executions: n }, 're-enqueued executions that had no job'),
        ),
      ]).catch((err) => this.log.error({ err }, 'sweep failed'));
    void sweep();
    this.sweepTimer = setInterval(() => void sweep(), 60_000);
    this.sweepTimer.unref();
  }

  private sweepTimer: NodeJS.Timeout | undefined;
  private dispatcher: WebhookDispatcher | undefined;

  private startRunner(p: Projection): void {
    const runner = new ProjectionRunner(
      this.get<pg.Pool>(TOKENS.Pool),
      this.get<EventStore>(TOKENS.EventStore),
      p,
      {
        onError: (err) => this.log.error({ err, projection: p.name }, 'projection batch failed'),
      },
    );
    runner.start();
    this.runners.push(runner);
  }

  private async startApi(): Promise<void> {
    const pool = this.get<pg.Pool>(TOKENS.Pool);
    await ensureReadModels(pool);
    const revocations = this.get<Revocations>(TOKENS.Revocations);
    await revocations.start();
    const keys = new ApiKeys(pool);
    // printed only once the server listens: a key no one saw is discarded if the start fails
    const { generated } = await keys.bootstrap(this.config.adminApiKey);
    this.unshownKey = generated ? { keys, key: generated } : undefined;
    const identity = this.get<IdentityService>(TOKENS.IdentityService);
    await identity.syncDefaultRoles(defaultRoles());
    const adminId = await keys.bootstrapUserId();
    if (adminId) {
      const position = await identity.bootstrapAdmin(asUserId(adminId), this.config.superadminEmail);
      // serve once the admin's roles are readable (bounded: a separate worker may still be starting)
      await this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter).waitFor(
        ['identity'],
        position,
        this.config.consistencyTimeoutMs,
      );
    }
    const registry = new RouteRegistry();
    const turns = new TurnWaiter(this.get<EventStore>(TOKENS.EventStore), this.config.turnTimeoutMs);
    // one read filter (and its cache of stream owners) for every route that shows events
    const visibility = new EventVisibility(this.get<EventStore>(TOKENS.EventStore));
    // the read services that hold the event store for the routes that show events
    const feed = new ChatFeed(
      this.get<EventStore>(TOKENS.EventStore),
      this.get<LiveBus>(TOKENS.LiveBus),
      this.get<ChatQueries>(TOKENS.ChatQueries),
    );
    const timelines = new Timelines(this.get<EventStore>(TOKENS.EventStore), async (chatId) =>
      (
        await this.get<ExecutionQueries>(TOKENS.ExecutionQueries).list({
          chatId,
          triggerType: 'HOOK',
          skip: 0,
          limit: 1000,
        })
      ).map((r) => r.id as string),
    );
    registerHealth(registry, this.config.role, this.get<PortCheck[]>(TOKENS.PortChecks));
    for (const token of [TOKENS.AgentService, TOKENS.LlmProviderService, TOKENS.FunctionService]) {
      registerResourceRoutes(registry, {
        service: this.get<ResourceService>(token),
        queries: this.get<ResourceQueries>(TOKENS.ResourceQueries),
        waiter: this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter),
        consistencyTimeoutMs: this.config.consistencyTimeoutMs,
        ...(token === TOKENS.FunctionService ? { extraPermission: sharedPoolPermission } : {}),
      });
    }
    registerSecretRoutes(registry, {
      secrets: this.get<SecretService>(TOKENS.SecretService),
      queries: this.get<SecretQueries>(TOKENS.SecretQueries),
      store: this.get<EventStore>(TOKENS.EventStore),
      waiter: this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter),
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
    });
    registerEventSubscriptionRoutes(registry, {
      service: this.get<EventSubscriptionService>(TOKENS.EventSubscriptionService),
      queries: this.get<EventSubscriptionQueries>(TOKENS.EventSubscriptionQueries),
      pool,
      waiter: this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter),
      webhooks: this.config.webhooks,
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
    });
    registerChatRoutes(registry, {
      chats: this.get<ChatService>(TOKENS.ChatService),
      invoker: new Invoker(this.get(TOKENS.CommandHandler), this.get<ChatService>(TOKENS.ChatService)),
      queries: this.get<ChatQueries>(TOKENS.ChatQueries),
      snapshots: new ChatSnapshotQueries(pool, this.get<EventStore>(TOKENS.EventStore)),
      timelines,
      visibility,
      feed,
      waiter: this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter),
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      turns,
    });
    registerConsoleRoutes(registry);
    registerExecutionRoutes(registry, {
      executions: this.get<ExecutionService>(TOKENS.ExecutionService),
      queries: this.get<ExecutionQueries>(TOKENS.ExecutionQueries),
      views: new ExecutionViewQueries(this.get<EventStore>(TOKENS.EventStore)),
      timelines,
      visibility,
      waiter: this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter),
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      syncTimeoutMs: this.config.functionTimeoutMs + 30_000,
      runsAvailable: () => this.get<JobQueue>(TOKENS.JobQueue).assertAvailable(),
    });
    registerIdentityRoutes(registry, {
      identity,
      queries: this.get<IdentityQueries>(TOKENS.IdentityQueries),
      waiter: this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter),
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      checkPermission: (p, field) => void parsePermission(p, field),
      revokeCredentials: (userId, by, reason) =>
        revocations.revokeUser(userId, 'now', { by, reason }).then(() => undefined),
    });
    const login = this.get<LoginService>(TOKENS.LoginService);
    if (!login.delivery)
      this.log.error(
        'login by email is disabled: SINAS_ENV=production and no SMTP is configured (set SMTP_URL, or SMTP_HOST with SMTP_PORT/SMTP_USER/SMTP_PASSWORD, and SMTP_FROM); POST /auth/login answers 503',
      );
    else if (login.delivery !== 'smtp')
      this.log.warn(
        'DEVELOPMENT: no SMTP configured, so login codes are written to this log; configure SMTP_URL before real users log in',
      );
    registerLoginRoutes(registry, login);
    registerApiKeyRoutes(registry, {
      service: new ApiKeyService(this.get<CommandHandler>(TOKENS.CommandHandler), keys),
      queries: new ApiKeyQueries(pool),
    });
    registerAuditRoutes(registry, {
      log: new AuditLog(this.get<EventStore>(TOKENS.EventStore)),
      key: loadSigningKey(this.config.auditSigningKey, this.config.env, this.config.dataDir, (m) =>
        this.log.warn(m),
      ),
      visibility,
    });
    registerConfigRoutes(registry, {
      config: this.get<ConfigService>(TOKENS.ConfigService),
    });
    registerOpenAiAdapterRoutes(registry, {
      chats: this.get<ChatService>(TOKENS.ChatService),
      agents: this.get<ResourceService>(TOKENS.AgentService),
      queries: this.get<ResourceQueries>(TOKENS.ResourceQueries),
      feed,
      waiter: this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter),
      resolver: this.get<ProviderResolver>(TOKENS.ProviderResolver),
      llm: this.get<Llm>(TOKENS.Llm),
      turnTimeoutMs: this.config.turnTimeoutMs,
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      turns,
    });
    const waiter = this.get<ProjectionWaiter>(TOKENS.ProjectionWaiter);
    const identityQueries = this.get<IdentityQueries>(TOKENS.IdentityQueries);
    const gate = new CredentialGate(
      this.get<AccessTokens>(TOKENS.AccessTokens),
      identityQueries,
      waiter,
      revocations,
    );
    const app = buildApp({
      registry,
      keys,
      pool,
      log: this.log,
      bodyLimit: this.config.bodyLimit,
      permissionsOf: cachedPermissions(identityQueries, waiter),
      verifyToken: gate.verifyToken,
      checkKey: gate.checkKey,
      looksLikeToken: looksLikeJwt,
    });
    this.app = app;
    this.routes = registry.routes;
    this.server = await listenHttp(app, this.config.port, this.config.host);
    this.log.info(
      { url: `http://${this.config.host}:${(this.server.address() as { port: number }).port}` },
      'API listening',
    );
    if (generated) {
      process.stderr.write(`\n  Bootstrap admin API key (shown once; store it now):\n\n    ${generated}\n\n`);
      this.unshownKey = undefined;
    } else if (!this.config.adminApiKey)
      this.log.info(
        'bootstrap admin API key: the one printed at first start (lost it? `npx sinas admin-key reset`)',
      );
  }

  /** the express app, when this process serves the API (tests walk its routes) */
  app: Express | undefined;
  /** every route the API serves, as declared (the authorisation matrix walks them) */
  routes: readonly RouteSpec[] = [];

  /** Graceful: stop taking requests and finish in-flight ones, stop runners, then close every adapter. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.server) {
        const server = this.server;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          if (this.app) endStreams(this.app); // endless by nature: clients resume with Last-Event-ID
        });
      }
      if (this.sweepTimer) clearInterval(this.sweepTimer);
      await Promise.all([...this.runners.map((r) => r.stop()), this.dispatcher?.stop()]);
      await this.composition.dispose();
    })();
    return this.stopping;
  }
}
