import { expect } from 'chai';
import { ValidationError } from '../../src/errors.js';
import { loadConfig } from '../../src/runtime/config.js';

describe('configuration from the environment', () => {
  it('has embedded defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c).to.include({ role: 'all', port: 8000, dataDir: './data', env: 'development' });
    expect(c.databaseUrl).to.equal(undefined);
    expect(c.eventStoreUrl).to.equal(undefined);
    expect(c.redisUrl).to.equal(undefined);
  });

  it('allows browser origins: any in development, none in production, or the SINAS_CORS_ORIGINS list', () => {
    const production = { SINAS_ENV: 'production', SINAS_JWT_SECRET: 'a-production-jwt-secret-0123456789' };
    expect(loadConfig({}).corsOrigins).to.equal('*');
    expect(loadConfig(production).corsOrigins).to.deep.equal([]);
    expect(
      loadConfig({
        ...production,
        SINAS_CORS_ORIGINS: 'https://console.example.com, http://localhost:51245/',
      }).corsOrigins,
    ).to.deep.equal(['https://console.example.com', 'http://localhost:51245']);
    expect(loadConfig({ ...production, SINAS_CORS_ORIGINS: '*' }).corsOrigins).to.equal('*');
    for (const bad of ['console.example.com', 'https://x.example.com/path', 'ftp://x.example.com']) {
      expect(() => loadConfig({ SINAS_CORS_ORIGINS: bad }), bad)
        .to.throw(ValidationError)
        .with.property('field', 'SINAS_CORS_ORIGINS');
    }
  });

  it('applies CONFIG_FILE only with AUTO_APPLY_CONFIG, read as the original reads a boolean', () => {
    expect(loadConfig({ CONFIG_FILE: '/c.yaml' }).autoApplyConfig).to.equal(false);
    for (const yes of ['true', 'TRUE', '1', 'yes', 'on'])
      expect(loadConfig({ AUTO_APPLY_CONFIG: yes }).autoApplyConfig, yes).to.equal(true);
    for (const no of ['false', '0', 'no', 'off', ''])
      expect(loadConfig({ AUTO_APPLY_CONFIG: no }).autoApplyConfig, no).to.equal(false);
    expect(() => loadConfig({ AUTO_APPLY_CONFIG: 'sometimes' }))
      .to.throw(ValidationError)
      .with.property('field', 'AUTO_APPLY_CONFIG');
  });

  it('serves metrics: on in development, off in production unless a key or SINAS_METRICS asks', () => {
    const production = { SINAS_ENV: 'production', SINAS_JWT_SECRET: 'a-production-jwt-secret-0123456789' };
    const key = 'a-metrics-key-0123456789';
    expect(loadConfig({}).metrics).to.deep.equal({ enabled: true });
    expect(loadConfig({ SINAS_METRICS: 'off' }).metrics).to.deep.equal({ enabled: false });
    expect(loadConfig(production).metrics).to.deep.equal({ enabled: false });
    expect(loadConfig({ ...production, SINAS_METRICS: 'on' }).metrics).to.deep.equal({ enabled: true });
    expect(loadConfig({ ...production, SINAS_METRICS_KEY: key }).metrics).to.deep.equal({
      enabled: true,
      key,
    });
    for (const [name, v] of [
      ['SINAS_METRICS', 'yes'],
      ['SINAS_METRICS_KEY', 'short'],
    ] as const)
      expect(() => loadConfig({ [name]: v }), name)
        .to.throw(ValidationError)
        .with.property('field', name);
  });

  it('reads every setting', () => {
    const c = loadConfig({
      SINAS_ROLE: 'worker',
      PORT: '9000',
      DATABASE_URL: 'postgres://u:p@db:5432/sinas',
      EVENTSTORE_URL: 'esdb://es:2113?tls=false',
      REDIS_URL: 'redis://r:6379',
      SINAS_ADMIN_API_KEY: 'a-long-enough-admin-key',
    });
    expect(c).to.include({
      role: 'worker',
      port: 9000,
      redisUrl: 'redis://r:6379',
      adminApiKey: 'a-long-enough-admin-key',
    });
  });

  it('reads the history window (defaults: last 100 messages, last 5 tool results inline)', () => {
    expect(loadConfig({}).history).to.deep.equal({ maxMessages: 100, inlineToolResults: 5 });
    const c = loadConfig({ SINAS_HISTORY_MAX_MESSAGES: '40', SINAS_HISTORY_INLINE_TOOL_RESULTS: '0' });
    expect(c.history).to.deep.equal({ maxMessages: 40, inlineToolResults: 0 });
    expect(() => loadConfig({ SINAS_HISTORY_MAX_MESSAGES: '0' })).to.throw(/SINAS_HISTORY_MAX_MESSAGES/);
  });

  it('reads the admin records: heartbeats, a worker TTL of at least two beats, request logs', () => {
    expect(loadConfig({}).admin).to.deep.include({ heartbeatMs: 5000, workerTtlMs: 30_000 });
    const c = loadConfig({ SINAS_WORKER_HEARTBEAT_MS: '100', SINAS_WORKER_TTL_MS: '1500' });
    expect(c.admin).to.deep.include({ heartbeatMs: 100, workerTtlMs: 1500 });
    expect(() => loadConfig({ SINAS_WORKER_HEARTBEAT_MS: '1000', SINAS_WORKER_TTL_MS: '1500' }))
      .to.throw(/twice/)
      .with.property('field', 'SINAS_WORKER_TTL_MS');
    const logs = loadConfig({ SINAS_REQUEST_LOGS: 'false', SINAS_REQUEST_LOG_MAX_ROWS: '10' }).admin
      .requestLogs;
    expect(logs).to.include({ enabled: false, maxRows: 10 });
    expect(() => loadConfig({ SINAS_REQUEST_LOG_MAX_ROWS: '0' })).to.throw(/SINAS_REQUEST_LOG_MAX_ROWS/);
  });

  it('reads earlier master keys as a comma-separated list', () => {
    expect(
      loadConfig({ SINAS_ENCRYPTION_KEY_PREVIOUS: ' first-key , second-key ,' }).encryptionKeyPrevious,
    ).to.deep.equal(['first-key', 'second-key']);
    expect(loadConfig({}).encryptionKeyPrevious).to.deep.equal([]);
  });

  for (const [name, value] of [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['SINAS_ROLE', 'both'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['SINAS_ADMIN_API_KEY', 'short'],
    ['SINAS_JWT_SECRET', 'too-short-for-hs256'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['SINAS_OTP_MAX_ATTEMPTS', '0'],
  ] as const) {
    it(`rejects ${name}=${value} naming the variable`, () => {
      expect(() => loadConfig({ [name]: value }))
        .to.throw(ValidationError)
        .with.property('field', name);
    });
  }

  it('requires SINAS_JWT_SECRET in production, and reads SMTP from a URL or host variables', () => {
    expect(() => loadConfig({ SINAS_ENV: 'production' }))
      .to.throw(ValidationError)
      .with.property('field', 'SINAS_JWT_SECRET');
    expect(loadConfig({}).smtp).to.equal(undefined);
    const c = loadConfig({ SMTP_HOST: 'mail', SMTP_USER: 'u', SMTP_FROM: 'Sinas <s@x.io>' });
    expect(c.smtp).to.include({ host: 'mail', port: 587, user: 'u', from: 'Sinas <s@x.io>' });
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail:465' }).smtp?.url).to.equal('smtps://u:p@mail:465');
    expect(loadConfig({}).login).to.include({ otpTtlMs: 600_000, loginPerIp: 10, loginPerEmail: 5 });
  });
});
