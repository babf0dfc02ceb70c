/**
 * The composition root: the only place that knows concrete adapters. Adapters are chosen by
 * configuration (DESIGN §3) and opened here; services.ts builds every service on them by plain
 * construction (the compiler checks each dependency), and `compose` hands back the one typed object.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { PgCallLeases } from './turns/call-leases.js';
import type { Logger } from 'pino';
import { EsdbEventStore } from '../events/esdb/esdb-event-store.js';
import type { EventStore } from '../events/event-store.js';
import { PgEventStore } from '../events/postgres/pg-event-store.js';
import type { PortCheck } from '../http/health.js';
import { ProjectionWaiter } from '../projections/waiter.js';
import { AccessTokens, loadJwtSecret } from './auth/access-tokens.js';
import { createMailer } from './auth/mailer.js';
import { Revocations } from './auth/revocations.js';
import { loadKeyring } from './cipher.js';
import type { Config } from './config.js';
import { checkDatabaseRole } from './database-role-check.js';
import { PgDataSources } from './data-sources/pg-data-sources.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import { createFunctionRunner, runnerConfigFromEnv } from './functions/runners/index.js';
import type { LiveBus } from './live-bus/live-bus.js';
import { MemoryLiveBus } from './live-bus/memory-live-bus.js';
import { RedisLiveBus } from './live-bus/redis-live-bus.js';
import { DevModelServer } from './llm/dev-model-server.js';
import { migrate } from './migrate.js';
import { countingEventStore } from './metrics/counting-event-store.js';
import { Metrics } from './metrics/metrics.js';
import { BullMqQueue } from './queue/bullmq-queue.js';
import { logOutage } from './redis-connection.js';
import { InProcessQueue } from './queue/in-process-queue.js';
import type { JobQueue } from './queue/job-queue.js';
import type { KindRegistration } from './kind-registry.js';
import { KINDS } from './kinds.js';
import { buildServices, type Adapters, type Services } from './services.js';
import type { ToolFamily } from './turns/tool-family.js';

export interface Composition {
  /** every service of this process, typed */
  readonly services: Services;
  /** closes everything the composition opened, in reverse order */
  dispose(): Promise<void>;
}

export async function compose(
  config: Config,
  log: Logger,
  /** the kinds on the kit this process serves (a test may register one more) */
  kinds: readonly KindRegistration[] = KINDS,
  /** tool families beyond the platform's own (a test's) */
  extraFamilies: readonly ToolFamily[] = [],
): Promise<Composition> {
  const closers: (() => Promise<void>)[] = [];
  let services: Services;
  try {
    services = buildServices(await openAdapters(config, log, closers), config, log, kinds, extraFamilies);
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
  return {
    services,
    async dispose() {
      for (const close of closers.reverse())
        await close().catch((err) => log.error({ err }, 'shutdown step failed'));
    },
  };
}

/** Opens every adapter `config` asks for; each one's closer goes on `closers` as soon as it is open. */
async function openAdapters(
  config: Config,
  log: Logger,
  closers: (() => Promise<void>)[],
): Promise<Adapters> {
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
  const metrics = new Metrics();
  // turns, tool calls and executions are counted from what this process appends
  const eventStore = config.metrics.enabled ? countingEventStore(store, metrics) : store;
  const queue: JobQueue = config.redisUrl
    ? new BullMqQueue({ url: config.redisUrl, outage: logOutage('job queue', log) })
    : new InProcessQueue();
  closers.push(() => queue.close());
  const liveBus: LiveBus = config.redisUrl
    ? new RedisLiveBus({ url: config.redisUrl, outage: logOutage('live bus', log) })
    : new MemoryLiveBus();
  closers.push(() => liveBus.close());
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
  const revocations = new Revocations(pool, databaseUrl, (err) =>
    log.error({ err }, 'reading the revoked credentials failed (retrying)'),
  );
  closers.push(() => revocations.stop());
  const mailer = createMailer(config.env, config.smtp, log);
  if (mailer) closers.push(() => mailer.close());
  let functionRunner: Adapters['functionRunner'];
  if (config.role !== 'api') {
    const runner = await createFunctionRunner({
      ...runnerConfigFromEnv(),
      environment: config.env,
      sharedPool: { secrets: { ...config.sharedPoolSecrets } },
      logger: { warn: (m) => log.warn(m) },
    });
    closers.push(() => runner.close());
    functionRunner = runner;
  }
  const devModel = new DevModelServer();
  closers.push(() => devModel.stop());
  const dataSources = new PgDataSources(pool, cipher, log);
  closers.push(() => dataSources.close());
  const callLeases = new PgCallLeases(databaseUrl, pool, log);
  closers.push(() => callLeases.close());
  return {
    pool,
    databaseUrl,
    eventStore,
    queue,
    liveBus,
    waiter,
    cipher,
    jwtSecret,
    accessTokens: new AccessTokens(jwtSecret),
    revocations,
    mailer,
    devModel,
    functionRunner,
    dataSources,
    callLeases,
    metrics,
    dataDatabaseUrl: config.databaseUrl ? config.dataDatabaseUrl : embedded!.dataUrl,
    portChecks: portChecks(config, pool, eventStore, embedded !== undefined, closers),
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
      { port: 'redis', adapter: 'redis', check: ping },
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
