/** Configuration from environment variables, validated, with defaults. The README lists each one. */
import { ValidationError } from '../errors.js';
import { checkAllowlist } from './outbound/outbound-guard.js';

export type Role = 'all' | 'api' | 'worker';

export interface Config {
  readonly env: 'development' | 'production';
  /** origins whose browser pages may call the API (SINAS_CORS_ORIGINS): `*` any, [] none */
  readonly corsOrigins: '*' | readonly string[];
  /** Prometheus metrics at /metrics (SINAS_METRICS, SINAS_METRICS_KEY) */
  readonly metrics: MetricsConfig;
  readonly role: Role;
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string | undefined;
  /** the data database the `built-in` database connection points at, beside an external DATABASE_URL */
  readonly dataDatabaseUrl: string | undefined;
  readonly dataDir: string;
  /** loopback TCP port for embedded Postgres (SINAS_EMBEDDED_PG_PORT); unset: no TCP listener, socket only */
  readonly embeddedPgPort: number | undefined;
  readonly eventStoreUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly adminApiKey: string | undefined;
  readonly encryptionKey: string | undefined;
  /** earlier master keys (SINAS_ENCRYPTION_KEY_PREVIOUS, comma-separated): they still open, never seal */
  readonly encryptionKeyPrevious: readonly string[];
  readonly logLevel: string;
  readonly bodyLimit: string;
  readonly consistencyTimeoutMs: number;
  readonly pgPoolMax: number;
  readonly turnTimeoutMs: number;
  readonly turnConcurrency: number;
  /** a function run's time limit when the function sets none */
  readonly functionTimeoutMs: number;
  readonly executionConcurrency: number;
  /** lowest-priority secrets for trusted shared-pool functions (SINAS_SHARED_POOL_SECRETS, a JSON object) */
  readonly sharedPoolSecrets: Readonly<Record<string, string>>;
  /** tool-call rounds one chat turn may take before it ends with an error */
  readonly maxToolRounds: number;
  /** how many sub-agent calls deep a chat tree may grow (SINAS_SUBAGENT_MAX_DEPTH) */
  readonly subagentMaxDepth: number;
  /** how much chat history one model call sees (README "Chat history window") */
  readonly history: HistoryConfig;
  /** `execute_code` (system tool codeExecution): its time limit per call (SINAS_CODE_EXECUTION_TIMEOUT_MS) */
  readonly codeExecutionTimeoutMs: number;
  /** the bootstrap administrator's email (SUPERADMIN_EMAIL) */
  readonly superadminEmail: string;
  /** a SinasConfig YAML file the API process applies at start-up (CONFIG_FILE; README "Config at start-up") */
  readonly configFile: string | undefined;
  /** whether it applies CONFIG_FILE at start-up: only with both set, as the original (AUTO_APPLY_CONFIG) */
  readonly autoApplyConfig: boolean;
  /** Ed25519 private key (PEM or base64 of it) that signs audit exports */
  readonly auditSigningKey: string | undefined;
  /** signs access tokens (HS256); required in production, generated into SINAS_DATA_DIR in development */
  readonly jwtSecret: string | undefined;
  readonly smtp: SmtpConfig | undefined;
  readonly login: LoginConfig;
  readonly webhooks: WebhookConfig;
  readonly inboundWebhooks: InboundWebhookConfig;
  /** events kept on each schedule tick and trigger poll stream (README "Retention of claim streams") */
  readonly claimStreamKeepEvents: number;
  readonly outbound: OutboundConfig;
  readonly files: FilesConfig;
  readonly admin: AdminConfig;
}

/** What the admin views record: worker heartbeats and API request logs (README "Admin views"). */
export interface AdminConfig {
  /** how often a worker process writes its heartbeat row (SINAS_WORKER_HEARTBEAT_MS, default 5 s) */
  readonly heartbeatMs: number;
  /** a worker unseen this long is gone: no longer listed, its row pruned (SINAS_WORKER_TTL_MS, default 30 s) */
  readonly workerTtlMs: number;
  readonly requestLogs: RequestLogConfig;
}

export interface RequestLogConfig {
  /** log API requests at all (SINAS_REQUEST_LOGS, default true) */
  readonly enabled: boolean;
  /** how often buffered requests are written (SINAS_REQUEST_LOG_FLUSH_MS, default 1 s) */
  readonly flushMs: number;
  /** requests kept at most this long (SINAS_REQUEST_LOG_MAX_AGE_MS, default 7 days) */
  readonly maxAgeMs: number;
  /** and at most this many, the newest (SINAS_REQUEST_LOG_MAX_ROWS, default 100 000) */
  readonly maxRows: number;
  /** requests buffered at most between flushes; more are dropped and counted (SINAS_REQUEST_LOG_BUFFER) */
  readonly bufferMax: number;
}

/** Where file contents live and how signed file URLs start (README "Collections and files"). */
export interface FilesConfig {
  /** a directory for file contents (SINAS_BLOB_DIR); unset: Postgres, which every API host shares */
  readonly blobDir: string | undefined;
  /** the origin signed serve URLs start with (SINAS_PUBLIC_URL); unset: http://localhost:<PORT> */
  readonly publicUrl: string | undefined;
  /** the largest image, audio or file part of a chat message, decoded (SINAS_MESSAGE_PART_MAX_BYTES, 20 MiB) */
  readonly messagePartMaxBytes: number;
  /**
   * bytes one unit of a collection's `max_total_size_gb` stands for (SINAS_COLLECTION_QUOTA_UNIT_BYTES,
   * default 1 GiB): a test setting, so a test can fill a quota without writing gigabytes
   */
  readonly quotaUnitBytes: number;
}

/** The history window of a turn's model calls (src/runtime/turns/history-window.ts). */
export interface HistoryConfig {
  /** history messages kept, newest first, a tool call never cut from its results (SINAS_HISTORY_MAX_MESSAGES, 100) */
  readonly maxMessages: number;
  /** tool results kept inline; older ones become a retrieve_tool_result marker (SINAS_HISTORY_INLINE_TOOL_RESULTS, 5) */
  readonly inlineToolResults: number;
}

/** Every outbound call to a URL someone gave (README "Event webhooks": the one outbound guard). */
export interface OutboundConfig {
  /**
   * hosts, addresses and CIDRs outbound calls may reach although not public (comma-separated):
   * SINAS_OUTBOUND_ALLOWLIST, and the older SINAS_WEBHOOK_ALLOWLIST, which still counts
   */
  readonly allowlist: readonly string[];
  /** a connector response larger than this is an error (SINAS_CONNECTOR_MAX_RESPONSE_BYTES, default 10 MiB) */
  readonly connectorMaxResponseBytes: number;
}

/** Outbound event webhooks (README "Event webhooks"). */
export interface WebhookConfig {
  /** one delivery attempt's time limit (SINAS_WEBHOOK_TIMEOUT_MS, default 10 s) */
  readonly timeoutMs: number;
  /** the wait after the first failure; it doubles each time (SINAS_WEBHOOK_RETRY_BASE_MS, default 1 s) */
  readonly retryBaseMs: number;
  /** the longest wait between attempts (SINAS_WEBHOOK_RETRY_MAX_MS, default 10 minutes) */
  readonly retryMaxMs: number;
  /** consecutive failures after which a subscription is reported `failing` (it keeps retrying) */
  readonly failingAfter: number;
}

/** Limits on deliveries to inbound webhooks (README "Inbound webhooks"). */
export interface InboundWebhookConfig {
  /** the largest body a delivery may carry (SINAS_INBOUND_WEBHOOK_BODY_LIMIT_BYTES, default 256 KiB): 413 beyond */
  readonly bodyLimitBytes: number;
  /** deliveries per webhook per minute, over all API processes (SINAS_INBOUND_WEBHOOK_RATE_PER_MINUTE): 429 beyond */
  readonly ratePerMinute: number;
}

/** Where login codes are sent: SMTP_URL, or SMTP_HOST with SMTP_PORT/SMTP_USER/SMTP_PASSWORD. */
export interface SmtpConfig {
  readonly url: string | undefined;
  readonly host: string | undefined;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly from: string;
}

export interface LoginConfig {
  /** how long a one-time code is valid (SINAS_OTP_TTL_MS, default 10 minutes) */
  readonly otpTtlMs: number;
  /** tries per code, right or wrong; then the session is dead (SINAS_OTP_MAX_ATTEMPTS) */
  readonly otpMaxAttempts: number;
  /** login requests per IP / per email, and code checks per IP, per 15 minutes */
  readonly loginPerIp: number;
  readonly loginPerEmail: number;
  readonly verifyPerIp: number;
  /** security events recorded per IP per minute before one summary stands for the rest */
  readonly securityEventsPerIp: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const config: Config = {
    env: oneOf(env, 'SINAS_ENV', ['development', 'production'], 'development'),
    role: oneOf(env, 'SINAS_ROLE', ['all', 'api', 'worker'], 'all'),
    corsOrigins: corsOrigins(env),
    metrics: metricsConfig(env),
    host: str(env, 'HOST', '127.0.0.1'),
    port: int(env, 'PORT', 8000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDatabaseUrl: url(env, 'SINAS_DATA_DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: str(env, 'SINAS_DATA_DIR', './data'),
    embeddedPgPort: optionalInt(env, 'SINAS_EMBEDDED_PG_PORT', 1, 65535),
    eventStoreUrl: url(env, 'EVENTSTORE_URL', ['esdb:', 'esdb+discover:', 'kurrentdb:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    adminApiKey: optional(env, 'SINAS_ADMIN_API_KEY'),
    encryptionKey: optional(env, 'SINAS_ENCRYPTION_KEY'),
    encryptionKeyPrevious: list(env, 'SINAS_ENCRYPTION_KEY_PREVIOUS'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    bodyLimit: str(env, 'SINAS_BODY_LIMIT', '1mb'),
    consistencyTimeoutMs: int(env, 'SINAS_CONSISTENCY_TIMEOUT_MS', 5000, 0, 600_000),
    pgPoolMax: int(env, 'PG_POOL_MAX', 20, 2, 1000),
    turnTimeoutMs: int(env, 'SINAS_TURN_TIMEOUT_MS', 300_000, 1000, 3_600_000),
    turnConcurrency: int(env, 'SINAS_TURN_CONCURRENCY', 8, 1, 1000),
    functionTimeoutMs: int(env, 'SINAS_FUNCTION_TIMEOUT_MS', 300_000, 100, 3_600_000),
    executionConcurrency: int(env, 'SINAS_EXECUTION_CONCURRENCY', 8, 1, 1000),
    sharedPoolSecrets: stringMap(env, 'SINAS_SHARED_POOL_SECRETS'),
    maxToolRounds: int(env, 'SINAS_MAX_TOOL_ROUNDS', 25, 1, 1000),
    subagentMaxDepth: int(env, 'SINAS_SUBAGENT_MAX_DEPTH', 5, 0, 100),
    history: {
      maxMessages: int(env, 'SINAS_HISTORY_MAX_MESSAGES', 100, 1, 100_000),
      inlineToolResults: int(env, 'SINAS_HISTORY_INLINE_TOOL_RESULTS', 5, 0, 100_000),
    },
    codeExecutionTimeoutMs: int(env, 'SINAS_CODE_EXECUTION_TIMEOUT_MS', 60_000, 100, 3_600_000),
    superadminEmail: str(env, 'SUPERADMIN_EMAIL', 'admin@sinas.local').toLowerCase(),
    configFile: optional(env, 'CONFIG_FILE'),
    autoApplyConfig: flag(env, 'AUTO_APPLY_CONFIG', false),
    auditSigningKey: optional(env, 'SINAS_AUDIT_SIGNING_KEY'),
    jwtSecret: optional(env, 'SINAS_JWT_SECRET'),
    smtp: smtp(env),
    login: {
      otpTtlMs: int(env, 'SINAS_OTP_TTL_MS', 600_000, 100, 86_400_000),
      otpMaxAttempts: int(env, 'SINAS_OTP_MAX_ATTEMPTS', 3, 1, 100),
      loginPerIp: int(env, 'SINAS_LOGIN_RATE_PER_IP', 10, 1, 1_000_000),
      loginPerEmail: int(env, 'SINAS_LOGIN_RATE_PER_EMAIL', 5, 1, 1_000_000),
      verifyPerIp: int(env, 'SINAS_VERIFY_RATE_PER_IP', 10, 1, 1_000_000),
      securityEventsPerIp: int(env, 'SINAS_SECURITY_EVENTS_PER_MINUTE', 20, 1, 100_000),
    },
    webhooks: {
      timeoutMs: int(env, 'SINAS_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      retryBaseMs: int(env, 'SINAS_WEBHOOK_RETRY_BASE_MS', 1000, 1, 3_600_000),
      retryMaxMs: int(env, 'SINAS_WEBHOOK_RETRY_MAX_MS', 600_000, 1, 86_400_000),
      failingAfter: int(env, 'SINAS_WEBHOOK_FAILING_AFTER', 5, 1, 1000),
    },
    claimStreamKeepEvents: int(env, 'SINAS_CLAIM_STREAM_KEEP_EVENTS', 200, 4, 10_000_000),
    inboundWebhooks: {
      bodyLimitBytes: int(env, 'SINAS_INBOUND_WEBHOOK_BODY_LIMIT_BYTES', 262_144, 1, 100_000_000),
      ratePerMinute: int(env, 'SINAS_INBOUND_WEBHOOK_RATE_PER_MINUTE', 600, 1, 1_000_000),
    },
    outbound: {
      allowlist: [...list(env, 'SINAS_OUTBOUND_ALLOWLIST'), ...list(env, 'SINAS_WEBHOOK_ALLOWLIST')],
      connectorMaxResponseBytes: int(
        env,
        'SINAS_CONNECTOR_MAX_RESPONSE_BYTES',
        10 * 1024 * 1024,
        1024,
        1024 ** 3,
      ),
    },
    files: {
      blobDir: optional(env, 'SINAS_BLOB_DIR'),
      publicUrl: url(env, 'SINAS_PUBLIC_URL', ['http:', 'https:'])?.replace(/\/+$/, ''),
      messagePartMaxBytes: int(env, 'SINAS_MESSAGE_PART_MAX_BYTES', 20 * 1024 * 1024, 1, 1024 * 1024 * 1024),
      quotaUnitBytes: int(env, 'SINAS_COLLECTION_QUOTA_UNIT_BYTES', 1024 ** 3, 1, 1024 ** 3),
    },
    admin: admin(env),
  };
  for (const name of ['SINAS_OUTBOUND_ALLOWLIST', 'SINAS_WEBHOOK_ALLOWLIST'])
    checkAllowlist(list(env, name), name);
  if (config.jwtSecret !== undefined && config.jwtSecret.length < 32)
    throw new ValidationError('SINAS_JWT_SECRET must be at least 32 characters', 'SINAS_JWT_SECRET');
  if (config.env === 'production' && config.jwtSecret === undefined)
    throw new ValidationError('SINAS_JWT_SECRET is required in production', 'SINAS_JWT_SECRET');
  if (config.adminApiKey !== undefined && config.adminApiKey.length < 16) {
    throw new ValidationError('SINAS_ADMIN_API_KEY must be at least 16 characters', 'SINAS_ADMIN_API_KEY');
  }
  return config;
}

function admin(env: Env): AdminConfig {
  const heartbeatMs = int(env, 'SINAS_WORKER_HEARTBEAT_MS', 5000, 50, 600_000);
  const workerTtlMs = int(env, 'SINAS_WORKER_TTL_MS', 30_000, 100, 86_400_000);
  if (workerTtlMs < 2 * heartbeatMs)
    throw new ValidationError(
      'SINAS_WORKER_TTL_MS must be at least twice SINAS_WORKER_HEARTBEAT_MS (a live worker must not drop out between beats)',
      'SINAS_WORKER_TTL_MS',
    );
  return {
    heartbeatMs,
    workerTtlMs,
    requestLogs: {
      enabled: oneOf(env, 'SINAS_REQUEST_LOGS', ['true', 'false'], 'true') === 'true',
      flushMs: int(env, 'SINAS_REQUEST_LOG_FLUSH_MS', 1000, 10, 600_000),
      maxAgeMs: int(env, 'SINAS_REQUEST_LOG_MAX_AGE_MS', 7 * 86_400_000, 1000, 3650 * 86_400_000),
      maxRows: int(env, 'SINAS_REQUEST_LOG_MAX_ROWS', 100_000, 1, 100_000_000),
      bufferMax: int(env, 'SINAS_REQUEST_LOG_BUFFER', 10_000, 1, 1_000_000),
    },
  };
}

function smtp(env: Env): SmtpConfig | undefined {
  const u = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const host = optional(env, 'SMTP_HOST');
  if (u === undefined && host === undefined) return undefined;
  return {
    url: u,
    host,
    port: int(env, 'SMTP_PORT', 587, 1, 65535),
    user: optional(env, 'SMTP_USER'),
    password: optional(env, 'SMTP_PASSWORD'),
    from: str(env, 'SMTP_FROM', 'Sinas <no-reply@sinas.local>'),
  };
}

/** a boolean as the original's settings read one: true|1|yes|on|t|y, false|0|no|off|f|n (any case) */
function flag(env: Env, name: string, fallback: boolean): boolean {
  const v = optional(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false;
  throw new ValidationError(`${name}: '${v}' is not a boolean (true or false)`, name);
}

function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * SINAS_CORS_ORIGINS: `*`, or origins (`https://console.example.com`) separated by commas. Unset:
 * any origin in development (a console served from its own port works out of the box), none in
 * production. Requests authenticate by header (never a cookie), so no origin gains a user's rights.
 */
function corsOrigins(env: Env): '*' | string[] {
  const name = 'SINAS_CORS_ORIGINS';
  const v = optional(env, name);
  if (v === undefined) return (optional(env, 'SINAS_ENV') ?? 'development') === 'development' ? '*' : [];
  if (v === '*') return '*';
  return list(env, name).map((origin) => {
    const u = URL.canParse(origin) ? new URL(origin) : undefined;
    if (!u || !['http:', 'https:'].includes(u.protocol) || u.origin !== origin.replace(/\/$/, ''))
      throw new ValidationError(
        `${name}: '${origin}' is not an origin like https://console.example.com`,
        name,
      );
    return u.origin;
  });
}

export interface MetricsConfig {
  readonly enabled: boolean;
  /** when set, a scrape must send `Authorization: Bearer <key>` */
  readonly key?: string;
}

/**
 * SINAS_METRICS=on|off; unset: on in development, off in production unless SINAS_METRICS_KEY is
 * set (a key says the operator wants them, behind it). The key is at least 16 characters.
 */
function metricsConfig(env: Env): MetricsConfig {
  const key = optional(env, 'SINAS_METRICS_KEY');
  if (key !== undefined && key.length < 16)
    throw new ValidationError('SINAS_METRICS_KEY must be at least 16 characters', 'SINAS_METRICS_KEY');
  const development = (optional(env, 'SINAS_ENV') ?? 'development') === 'development';
  const fallback = development || key !== undefined ? 'on' : 'off';
  const enabled = oneOf(env, 'SINAS_METRICS', ['on', 'off'], fallback) === 'on';
  return { enabled, ...(key !== undefined ? { key } : {}) };
}

function list(env: Env, name: string): string[] {
  return (optional(env, name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function stringMap(env: Env, name: string): Record<string, string> {
  const v = optional(env, name);
  if (v === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new ValidationError(`${name} must be a JSON object of strings`, name);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((x) => typeof x !== 'string')
  )
    throw new ValidationError(`${name} must be a JSON object of strings`, name);
  return parsed as Record<string, string>;
}

function str(env: Env, name: string, def: string): string {
  return optional(env, name) ?? def;
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = optional(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(`${name} must be an integer from ${min} to ${max}, got '${v}'`, name);
  }
  return n;
}

function optionalInt(env: Env, name: string, min: number, max: number): number | undefined {
  return optional(env, name) === undefined ? undefined : int(env, name, 0, min, max);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const v = optional(env, name);
  if (v === undefined) return def;
  if (!values.includes(v as T))
    throw new ValidationError(`${name} must be one of ${values.join(', ')}, got '${v}'`, name);
  return v as T;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const v = optional(env, name);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ValidationError(`${name} is not a URL`, name);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ValidationError(`${name} must start with ${protocols.join(' or ')}`, name);
  }
  return v;
}
