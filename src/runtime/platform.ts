/**
 * One running process: the API (express), the worker (projection runners), or both. `start` wires
 * everything through the composition root; `stop` shuts down gracefully in reverse order.
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { ApiKeys } from './auth/api-keys.js';
import { TurnWaiter } from './turns/turn-waiter.js';
import { ChatFeed } from './chat-feed/chat-feed.js';
import { ApiKeyService } from '../commands/api-key/api-key-service.js';
import { ApiKeyQueries } from '../projections/api-key-queries.js';
import { asUserId } from '../events/ids.js';
import { buildApp } from '../http/app.js';
import { endStreams } from '../http/sse.js';
import { drain } from '../http/drain.js';
import { registerHealth } from '../http/health.js';
import { RouteRegistry, type RouteSpec } from '../http/routes.js';
import { readCheckpoint } from '../projections/checkpoints.js';
import { ensureReadModels } from '../projections/index.js';
import { installAnalytics } from '../projections/analytics.js';
import { rebuildProjection } from '../projections/rebuild.js';
import { ProjectionRunner } from '../projections/runner.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import { Invoker } from '../commands/chat/invoke.js';
import { registerChatRoutes } from '../http/chats.js';
import { registerChatPartRoutes } from '../http/chat-parts.js';
import { PartReader } from './parts/part-reader.js';
import { registerConsoleRoutes } from '../http/console.js';
import { registerMetricsRoute } from '../http/metrics.js';
import { openStreamCount } from '../http/sse.js';
import { metricSources } from './metrics/metric-sources.js';
import { ChatSnapshotQueries } from '../projections/chat-snapshot-queries.js';
import { ExecutionViewQueries } from '../projections/execution-view-queries.js';
import type { Projection } from '../projections/projection.js';
import { registerOpenAiAdapterRoutes } from '../http/openai-adapter.js';
import type { Config } from './config.js';
import { purgeReactor, startPurgeWorkers, sweepExpiredChats } from './turns/purge.js';
import { claimStreamsProjection } from './retention/claim-streams.js';
import { sweepClaimStreams } from './retention/stream-sweep.js';
import { sweepComponentBuilds } from './components/compile-sweep.js';
import { keepingEvents } from './retention/stream-trim.js';
import { startTurnWorkers, sweepOpenTurns, turnReactor } from './turns/turn-jobs.js';
import { startWhatIfWorkers, sweepWhatIfRuns, whatIfReactor } from './whatif/whatif-jobs.js';
import { registerWhatIfRoutes } from '../http/what-if.js';
import { subagentReactor } from './subagents/subagent-reactor.js';
import { registerExecutionRoutes } from '../http/executions.js';
import {
  EXECUTION_QUEUE,
  WORKER_ID,
  executionReactor,
  startExecutionWorkers,
  sweepExecutions,
} from './functions/execution-jobs.js';
import { WorkerHeartbeat, finishedJobs } from './admin/worker-heartbeats.js';
import { liveContainers, registerWorkerRoutes, workerCounts } from '../http/workers.js';
import { RequestLogWriter } from './admin/request-log-writer.js';
import { RequestLogQueries } from './admin/request-log-queries.js';
import { registerRequestLogRoutes } from '../http/request-logs.js';
import { hookReactor } from './turns/hooks.js';
import { defaultRoles } from '../commands/identity/default-roles.js';
import { parsePermission } from '../commands/identity/permissions.js';
import { registerIdentityRoutes } from '../http/identity.js';
import { registerApiKeyRoutes } from '../http/api-key-routes.js';
import { registerAuditRoutes } from '../http/audit.js';
import { loadSigningKey } from '../audit/signing-key-loader.js';
import { AuditLog } from '../audit/audit-query.js';
import { Timelines } from '../audit/timeline.js';
import type { IdentityQueries } from '../projections/identity-queries.js';
import { compose, type Composition } from './container.js';
import type { Services } from './services.js';
import { projectionsOf, registerKindRoutes, type KindRegistration } from './kind-registry.js';
import { KINDS } from './kinds.js';
import { registerMessageSearchRoutes } from '../http/message-search.js';
import { MessageQueries } from '../projections/message-queries.js';
import { registerPermissionReferenceRoutes } from '../http/permission-reference.js';
import { registerSystemRoutes } from '../http/system.js';
import { registerDependencyAdminRoutes } from '../http/dependency-admin.js';
import { registerStuckJobRoutes } from '../http/stuck-jobs.js';
import { registerQueueJobCancelRoute } from '../http/queue-job-cancel.js';
import { registerPoolCommandRoutes } from '../http/pool-commands.js';
import { registerQueueDlqRoutes } from '../http/queue-dlq.js';
import { DeadLetters } from './admin/dead-letters.js';
import { AdminFollower } from './admin/admin-follower.js';
import { AdminCommands } from './admin/admin-commands.js';
import { registerQueueAdminRoutes } from '../http/queue-admin.js';
import { QueueOverview } from './admin/queue-overview.js';
import { QueueJobLabelQueries } from '../projections/queue-job-labels.js';
import { registerConfigRoutes } from '../http/config.js';
import { registerPackageRoutes } from '../http/packages.js';
import { registerLoginRoutes } from '../http/login.js';
import { looksLikeJwt } from './auth/access-tokens.js';
import { CredentialGate } from './auth/credential-gate.js';
import { credentialReactor } from './auth/credential-reactor.js';
import { keyShredderReactor } from './secrets/key-shredder.js';
import { stateKeyShredderReactor } from './states/state-key-shredder.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { EventVisibility } from '../audit/visibility.js';
import { listenHttp } from './http-listen.js';
import { applyConfigFile } from './config-file.js';
import { SYSTEM_ACTOR } from '../commands/database-connection/database-connection-kind.js';
import type { ToolFamily } from './turns/tool-family.js';
import { ensureBuiltInConnection } from './data-sources/built-in.js';
import { triggerPollerOn } from './database-triggers/trigger-wiring.js';
import type { TriggerPoller } from './database-triggers/trigger-poller.js';
import { Scheduler } from './schedules/scheduler.js';
import { TICK_POLICY } from './schedules/tick-policy.js';
import { compileReactor, startCompileWorkers, type Compiler } from './components/compile-jobs.js';
import { renewComponentBlock } from './components/component-blocks.js';
import { RenderTokens } from './components/render-tokens.js';

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

/** how long an administrator's pool command waits for the live workers' reports (src/http/pool-commands.ts) */
const ADMIN_COMMAND_WAIT_MS = 10_000;

export class Platform {
  private server: Server | undefined;
  private runners: ProjectionRunner[] = [];
  private stopping: Promise<void> | undefined;
  /** aborted when stopping begins: work that waits out an outage gives up then */
  private readonly halt = new AbortController();

  private constructor(
    readonly config: Config,
    private readonly log: Logger,
    private readonly composition: Composition,
  ) {}

  static async start(
    config: Config,
    log: Logger,
    /** the kinds on the kit (kinds.ts); a test may register one more */
    options: {
      readonly kinds?: readonly KindRegistration[];
      /** tool families beyond the platform's own (a test's) */
      readonly families?: readonly ToolFamily[];
      /** the components' compiler (a crash test's stand-in that hangs or crashes) */
      readonly compiler?: Compiler;
    } = {},
  ): Promise<Platform> {
    const composition = await compose(config, log, options.kinds ?? KINDS, options.families ?? []);
    const platform = new Platform(config, log, composition);
    platform.compiler = options.compiler;
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

  /** every service of this process, typed (tests and benches read them here too) */
  get services(): Services {
    return this.composition.services;
  }

  /** the kinds on the kit this process serves, as registered */
  get kinds(): readonly KindRegistration[] {
    return this.services.kindRegistrations;
  }

  /** The API's base URL, when this process serves it. */
  get url(): string | undefined {
    const addr = this.server?.address();
    return addr && typeof addr === 'object' ? `http://127.0.0.1:${addr.port}` : undefined;
  }

  /** the `built-in` database connection to the data database (kept by the workers) */
  private async ensureBuiltInConnection(): Promise<void> {
    const service = this.services.kinds.databaseConnections;
    if (!service) return; // a test's own list of kinds without it
    try {
      const url = this.services.dataDatabaseUrl;
      const position = await ensureBuiltInConnection(service, this.services.cipher, url, this.log);
      // the first request after start finds it
      await this.services.waiter.waitFor([service.kind.table], position, this.config.consistencyTimeoutMs);
    } catch (err) {
      this.log.error({ err }, 'the built-in database connection could not be ensured');
    }
  }

  private async startWorker(): Promise<void> {
    const pool = this.services.pool;
    const store = this.services.eventStore;
    const projections = projectionsOf(this.kinds);
    await installAnalytics(pool, projections, { log: this.log });
    for (const p of projections) {
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
    await this.ensureBuiltInConnection();
    const queue = this.services.queue;
    this.startRunner(turnReactor(queue));
    this.startRunner(subagentReactor({ handler: this.services.commandHandler, queue }));
    await startTurnWorkers(queue, this.services.turnRunner, this.config.turnConcurrency, {
      log: this.log,
      stop: this.halt.signal,
    });
    await startWhatIfWorkers(queue, this.services.whatIfRunner);
    this.startRunner(whatIfReactor(queue));
    this.startRunner(purgeReactor(queue));
    this.startRunner(claimStreamsProjection());
    await startPurgeWorkers(queue, store, this.services.messageParts.blobs);
    this.startRunner(executionReactor(queue));
    this.startRunner(hookReactor(store, this.services.commandHandler));
    this.startRunner(credentialReactor(this.services.revocations));
    this.startRunner(keyShredderReactor());
    this.startRunner(stateKeyShredderReactor());
    await this.startComponentCompiler();
    const executionWorker = this.services.executionWorker;
    // compose builds it whenever the role is not 'api', the only case that gets here
    if (!executionWorker) throw new Error(`no execution worker composed for role ${this.config.role}`);
    await startExecutionWorkers(queue, executionWorker, this.config.executionConcurrency);
    this.dispatcher = new WebhookDispatcher({
      pool,
      store,
      cipher: this.services.cipher,
      guard: this.services.outboundGuard,
      config: this.config.webhooks,
      log: this.log,
      permissionsOf: async (userId) =>
        (await this.services.queries.identity.permissionsOf(userId)).permissions,
    });
    this.dispatcher.start();
    this.triggerPoller = triggerPollerOn(
      this.services,
      this.log,
      keepingEvents(this.config.claimStreamKeepEvents),
    );
    this.triggerPoller?.start();
    await this.startScheduler();
    // following the admin commands before the heartbeat lists this worker: a command issued once it
    // is listed (and so waited for) reaches it, never only as a standing order applied unreported
    this.adminFollower = new AdminFollower({
      store,
      workerId: WORKER_ID,
      runner: () => this.services.functionRunner,
      log: this.log,
    });
    await this.adminFollower.start();
    this.heartbeat = new WorkerHeartbeat({
      pool,
      id: WORKER_ID,
      role: this.config.role,
      intervalMs: this.config.admin.heartbeatMs,
      ttlMs: this.config.admin.workerTtlMs,
      executions: finishedJobs(queue.events, EXECUTION_QUEUE),
      runnerPool: () => this.services.functionRunner?.poolView(),
      log: this.log,
    });
    await this.heartbeat.start();
    const sweep = () =>
      Promise.all([
        sweepOpenTurns(pool, queue).then(
          (n) => n > 0 && this.log.warn({ turns: n }, 're-enqueued open turns that had no job'),
        ),
        sweepExpiredChats(pool, store, this.services.messageParts.blobs).then(
          (n) => n > 0 && this.log.info({ chats: n }, 'purged expired chats'),
        ),
        sweepClaimStreams(pool, store).then(
          (n) => n.expired + n.orphaned > 0 && this.log.info(n, 'deleted claim streams no longer needed'),
        ),
        sweepExecutions(pool, queue).then(
          (n) => n > 0 && this.log.warn({ executions: n }, 're-enqueued executions that had no job'),
        ),
        this.services.kinds.components &&
          sweepComponentBuilds({ pool, store, queue }).then(
            (n) => n > 0 && this.log.warn({ components: n }, 'asked again for (or ended) lost builds'),
          ),
        sweepWhatIfRuns(store, queue).then(
          (n) => n > 0 && this.log.debug({ runs: n }, 'what-if runs not ended: their jobs ensured'),
        ),
      ]).catch((err) => this.log.error({ err }, 'sweep failed'));
    void sweep();
    this.sweepTimer = setInterval(() => void sweep(), 60_000);
    this.sweepTimer.unref();
  }

  private sweepTimer: NodeJS.Timeout | undefined;
  private dispatcher: WebhookDispatcher | undefined;
  private triggerPoller: TriggerPoller | undefined;
  private scheduler: Scheduler | undefined;
  private heartbeat: WorkerHeartbeat | undefined;
  private adminFollower: AdminFollower | undefined;
  private requestLogs: RequestLogWriter | undefined;

  /** the schedules' loop (src/runtime/schedules/scheduler.ts), when the schedule kind is served */
  private async startScheduler(): Promise<void> {
    if (!this.services.kinds.schedules) return; // a test's own list of kinds without it
    this.scheduler = new Scheduler({
      pool: this.services.pool,
      store: this.services.eventStore,
      log: this.log,
      policy: TICK_POLICY,
      retention: keepingEvents(this.config.claimStreamKeepEvents),
      waiter: this.services.waiter,
      executions: this.services.executions,
      chats: this.services.chats,
      permissionsOf: async (userId) =>
        (await this.services.queries.identity.permissionsOf(userId)).permissions,
    });
    await this.scheduler.start();
  }

  private compiler: Compiler | undefined;

  /** components' compile jobs (src/runtime/components/compile-jobs.ts), when the kind is served */
  private async startComponentCompiler(): Promise<void> {
    const components = this.services.kinds.components;
    if (!components) return; // a test's own list of kinds without it
    this.startRunner(compileReactor(this.services.queue));
    await startCompileWorkers(this.services.queue, components, this.services.eventStore, this.compiler);
  }

  private startRunner(p: Projection): void {
    const runner = new ProjectionRunner(this.services.pool, this.services.eventStore, p, { log: this.log });
    runner.start();
    this.runners.push(runner);
  }

  /** `/metrics`, reading its levels from this process's ports (SINAS_METRICS) */
  private serveMetrics(registry: RouteRegistry): void {
    const s = this.services;
    s.metrics.readFrom(
      metricSources({
        pool: s.pool,
        eventStore: s.eventStore,
        queue: s.queue,
        functionRunner: s.functionRunner,
        log: this.log,
        openStreams: () => (this.app ? openStreamCount(this.app) : 0),
      }),
    );
    registerMetricsRoute(registry, s.metrics, this.config.metrics.key);
  }

  private async startApi(): Promise<void> {
    const pool = this.services.pool;
    await ensureReadModels(pool, projectionsOf(this.kinds));
    const revocations = this.services.revocations;
    await revocations.start();
    const keys = new ApiKeys(pool);
    // printed only once the server listens: a key no one saw is discarded if the start fails
    const { generated } = await keys.bootstrap(this.config.adminApiKey);
    this.unshownKey = generated ? { keys, key: generated } : undefined;
    const identity = this.services.identity;
    await identity.syncDefaultRoles(defaultRoles());
    const adminId = await keys.bootstrapUserId();
    if (adminId) {
      const position = await identity.bootstrapAdmin(asUserId(adminId), this.config.superadminEmail);
      // serve once the admin's roles are readable (bounded: a separate worker may still be starting)
      await this.services.waiter.waitFor(['identity'], position, this.config.consistencyTimeoutMs);
    }
    if (this.config.configFile && this.config.autoApplyConfig) {
      const caller = { userId: adminId ?? SYSTEM_ACTOR, isAdmin: true };
      await applyConfigFile(this.config.configFile, this.services.configService, caller, this.log);
    } else if (this.config.configFile)
      this.log.warn(
        { file: this.config.configFile },
        'CONFIG_FILE not applied: AUTO_APPLY_CONFIG is not set',
      );
    const registry = new RouteRegistry();
    const renderTokens = new RenderTokens(this.services.jwtSecret);
    const turns = new TurnWaiter(this.services.eventStore, this.config.turnTimeoutMs);
    // one read filter (and its cache of stream owners) for every route that shows events
    const visibility = new EventVisibility(this.services.eventStore);
    // the read services that hold the event store for the routes that show events
    const feed = new ChatFeed(this.services.eventStore, this.services.liveBus, this.services.queries.chats);
    const timelines = new Timelines(this.services.eventStore, async (chatId) =>
      (
        await this.services.queries.executions.list({
          chatId,
          triggerType: 'HOOK',
          skip: 0,
          limit: 1000,
        })
      ).map((r) => r.id as string),
    );
    registerHealth(registry, this.config.role, this.services.portChecks);
    registerKindRoutes(registry, this.kinds, this.services.kinds, {
      queries: this.services.queries.resources,
      pool,
      dataSources: this.services.dataSources,
      eventStore: this.services.eventStore,
      waiter: this.services.waiter,
      config: this.config,
      log: this.log,
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      services: this.services,
    });
    registerChatRoutes(registry, {
      chats: this.services.chats,
      invoker: new Invoker(this.services.commandHandler, this.services.chats),
      queries: this.services.queries.chats,
      snapshots: new ChatSnapshotQueries(pool, this.services.eventStore),
      timelines,
      visibility,
      feed,
      waiter: this.services.waiter,
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      turns,
      renewContent: (content) => renewComponentBlock(content, renderTokens),
    });
    registerWhatIfRoutes(registry, {
      whatIf: this.services.whatIf,
      agents: this.services.agents,
      queries: this.services.queries.resources,
    });
    registerChatPartRoutes(
      registry,
      new PartReader(this.services.chats, this.services.eventStore, this.services.messageParts.blobs),
    );
    registerConsoleRoutes(registry);
    registerExecutionRoutes(registry, {
      executions: this.services.executions,
      queries: this.services.queries.executions,
      views: new ExecutionViewQueries(this.services.eventStore),
      timelines,
      visibility,
      waiter: this.services.waiter,
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      syncTimeoutMs: this.config.functionTimeoutMs + 30_000,
      runsAvailable: () => this.services.queue.assertAvailable(),
    });
    registerIdentityRoutes(registry, {
      identity,
      queries: this.services.queries.identity,
      waiter: this.services.waiter,
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      checkPermission: (p, field) => void parsePermission(p, field),
      revokeCredentials: (userId, by, reason) =>
        revocations.revokeUser(userId, 'now', { by, reason }).then(() => undefined),
    });
    const login = this.services.login;
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
      service: new ApiKeyService(this.services.commandHandler, keys),
      queries: new ApiKeyQueries(pool),
    });
    registerAuditRoutes(registry, {
      log: new AuditLog(this.services.eventStore),
      key: loadSigningKey(this.config.auditSigningKey, this.config.env, this.config.dataDir, (m) =>
        this.log.warn(m),
      ),
      visibility,
    });
    registerConfigRoutes(registry, {
      config: this.services.configService,
    });
    registerPackageRoutes(registry, {
      packages: this.services.packages.service,
      queries: this.services.packages.queries,
      sections: () => this.services.configService.sections,
    });
    registerMessageSearchRoutes(registry, { queries: new MessageQueries(pool) });
    registerPermissionReferenceRoutes(registry);
    registerSystemRoutes(registry, {
      role: this.config.role,
      checks: this.services.portChecks,
      dataDir: this.config.dataDir,
    });
    registerDependencyAdminRoutes(registry);
    registerStuckJobRoutes(registry, {
      executions: this.services.executions,
      queries: this.services.queries.executions,
    });
    registerQueueJobCancelRoute(registry, {
      queue: this.services.queue,
      executions: this.services.executions,
    });
    const labels = new QueueJobLabelQueries(pool);
    const workerDeps = { pool, ttlMs: this.config.admin.workerTtlMs };
    const deadLetters = new DeadLetters({ store: this.services.eventStore, queue: this.services.queue });
    registerQueueDlqRoutes(registry, deadLetters);
    registerQueueAdminRoutes(registry, {
      overview: new QueueOverview({
        queue: this.services.queue,
        labels: (e, c) => labels.labels(e, c),
        settled: () => deadLetters.settled(),
      }),
      pool: () => liveContainers(workerDeps),
      workers: () => workerCounts(workerDeps),
    });
    registerWorkerRoutes(registry, workerDeps);
    registerPoolCommandRoutes(registry, {
      commands: new AdminCommands({
        store: this.services.eventStore,
        liveWorkers: async () => (await workerCounts(workerDeps)).count,
        waitMs: ADMIN_COMMAND_WAIT_MS,
      }),
    });
    registerRequestLogRoutes(registry, new RequestLogQueries(pool));
    const { enabled, ...logging } = this.config.admin.requestLogs;
    this.requestLogs = enabled ? new RequestLogWriter(pool, logging, this.log) : undefined;
    this.requestLogs?.start();
    registerOpenAiAdapterRoutes(registry, {
      chats: this.services.chats,
      agents: this.services.agents,
      queries: this.services.queries.resources,
      feed,
      waiter: this.services.waiter,
      resolver: this.services.providerResolver,
      llm: this.services.llm,
      turnTimeoutMs: this.config.turnTimeoutMs,
      consistencyTimeoutMs: this.config.consistencyTimeoutMs,
      turns,
    });
    if (this.config.metrics.enabled) this.serveMetrics(registry);
    const waiter = this.services.waiter;
    const identityQueries = this.services.queries.identity;
    const gate = new CredentialGate(this.services.accessTokens, identityQueries, waiter, revocations);
    const app = buildApp({
      registry,
      keys,
      pool,
      log: this.log,
      bodyLimit: this.config.bodyLimit,
      corsOrigins: this.config.corsOrigins,
      ...(this.requestLogs ? { requestLog: this.requestLogs.record.bind(this.requestLogs) } : {}),
      ...(this.config.metrics.enabled ? { metrics: this.services.metrics } : {}),
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

  /**
   * Graceful: stop taking requests and finish in-flight ones (cut after a grace: ../http/drain.ts),
   * stop runners, then close every adapter.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.halt.abort();
      const app = this.app;
      if (this.server) await drain(this.server, () => app && endStreams(app));
      if (this.sweepTimer) clearInterval(this.sweepTimer);
      await Promise.all([
        ...this.runners.map((r) => r.stop()),
        this.dispatcher?.stop(),
        this.triggerPoller?.stop(),
        this.scheduler?.stop(),
        this.heartbeat?.stop(),
        this.adminFollower?.stop(),
        this.requestLogs?.stop(),
      ]);
      await this.composition.dispose();
    })();
    return this.stopping;
  }
}
