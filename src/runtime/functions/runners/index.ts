/**
 * createFunctionRunner: picks the strongest sandbox this machine offers — Docker when DOCKER_HOST
 * (or SINAS_DOCKER_HOST) reaches a daemon that has the harness image, else bubblewrap, else a plain
 * subprocess with rlimits — and routes `sharedPool` requests to the trusted shared pool.
 */
import { existsSync, rmSync } from 'node:fs';
import type { FunctionRunner, RunnerHealth, RunOutcome, RunRequest } from '../function-runner.js';
import { createDockerRunner, dockerClient, dockerUnavailable, removeOrphans } from './docker-runner.js';
import { publicHarnessCopy, pythonImageName } from './harness-files.js';
import { DEFAULT_OUTPUT_LIMIT } from './harness-protocol.js';
import { createHostSandboxRunner, createSharedPoolRunner } from './host-runner.js';
import { DEFAULT_LIMITS, type SandboxLimits } from './limits.js';
import { bubblewrapWorks } from './sandbox-command.js';
import type { PoolOptions } from './warm-pool.js';

export type SandboxChoice = 'auto' | 'docker' | 'bubblewrap' | 'subprocess';

export interface FunctionRunnerConfig {
  /** 'auto' (default) tries docker, then bubblewrap, then subprocess; any other value forces one */
  readonly sandbox?: SandboxChoice;
  /** `unix:///path/docker.sock` or `tcp://127.0.0.1:2375`; unset: no Docker */
  readonly dockerHost?: string;
  /** default `sinas-python:<hash of infra/python/*>` */
  readonly image?: string;
  /** the interpreter for host sandboxes and the shared pool (default /usr/bin/python3) */
  readonly python?: string;
  readonly pool?: Partial<PoolOptions>;
  readonly sharedPool?: { readonly pool?: Partial<PoolOptions>; readonly secrets?: Record<string, string> };
  readonly limits?: Partial<SandboxLimits>;
  /** bytes of stdout and of stderr kept per run */
  readonly outputLimit?: number;
  readonly logger?: { warn(message: string): void };
}

/**
 * A sandbox worker serves one (user, function version) only, so `max` is sized for the pairs in use at
 * once: 5 users × 3 functions with two concurrent runs keep hitting (bench function_pool, mixed_*);
 * `min` blank workers stay ready for a pair that has none.
 */
const SANDBOX_POOL: PoolOptions = { min: 2, max: 32, maxRuns: 100, acquireTimeoutMs: 10_000 };
const SHARED_POOL: PoolOptions = { min: 1, max: 4, maxRuns: 1000, acquireTimeoutMs: 10_000 };

/** The config from SINAS_* environment variables (see README, "Function runners"). */
export function runnerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): FunctionRunnerConfig {
  const num = (name: string) => (env[name] ? Number(env[name]) : undefined);
  const pool = { min: num('SINAS_FUNCTION_POOL_MIN'), max: num('SINAS_FUNCTION_POOL_MAX') };
  const memoryMb = num('SINAS_FUNCTION_MEMORY_MB');
  return {
    sandbox: (env.SINAS_FUNCTION_SANDBOX as SandboxChoice | undefined) ?? 'auto',
    dockerHost: env.SINAS_DOCKER_HOST || env.DOCKER_HOST || undefined,
    image: env.SINAS_FUNCTION_IMAGE || undefined,
    python: env.SINAS_PYTHON || undefined,
    pool: definedOnly(pool),
    sharedPool: { secrets: parseSecrets(env.SINAS_SHARED_POOL_SECRETS) },
    limits: memoryMb ? { memoryBytes: memoryMb * 1024 * 1024 } : {},
  };
}

function parseSecrets(json: string | undefined): Record<string, string> {
  if (!json) return {};
  const parsed: unknown = JSON.parse(json);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('SINAS_SHARED_POOL_SECRETS must be a JSON object of strings');
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The runner for this machine; `overrides` win over the SINAS_* environment (runnerConfigFromEnv). */
export async function createFunctionRunner(overrides: FunctionRunnerConfig = {}): Promise<FunctionRunner> {
  const config = mergeConfig(runnerConfigFromEnv(), overrides);
  const warn = config.logger?.warn.bind(config.logger) ?? ((m: string) => process.stderr.write(`${m}\n`));
  const python = config.python ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  const outputLimit = config.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  const pool = { ...SANDBOX_POOL, ...config.pool };
  const sandboxed = await pickSandbox(config, { python, limits, outputLimit, pool }, warn);
  const shared = createSharedPoolRunner({
    python,
    outputLimit,
    pool: { ...SHARED_POOL, ...config.sharedPool?.pool },
  });
  return new RoutingRunner(sandboxed, shared, config.sharedPool?.secrets ?? {});
}

function mergeConfig(env: FunctionRunnerConfig, o: FunctionRunnerConfig): FunctionRunnerConfig {
  return {
    ...env,
    ...definedOnly(o),
    pool: { ...env.pool, ...o.pool },
    limits: { ...env.limits, ...o.limits },
    sharedPool: {
      pool: { ...env.sharedPool?.pool, ...o.sharedPool?.pool },
      secrets: o.sharedPool?.secrets ?? env.sharedPool?.secrets ?? {},
    },
  };
}

interface Common {
  readonly python: string;
  readonly limits: SandboxLimits;
  readonly outputLimit: number;
  readonly pool: PoolOptions;
}

async function pickSandbox(
  config: FunctionRunnerConfig,
  c: Common,
  warn: (m: string) => void,
): Promise<FunctionRunner> {
  const choice = config.sandbox ?? 'auto';
  const notes: string[] = [];
  if (choice === 'auto' || choice === 'docker') {
    const image = config.image ?? pythonImageName();
    const docker = config.dockerHost ? dockerClient(config.dockerHost) : null;
    const why = docker
      ? await dockerUnavailable(docker, image)
      : 'no DOCKER_HOST or SINAS_DOCKER_HOST is set';
    if (docker && why === null) {
      const removed = await removeOrphans(docker).catch(() => 0);
      if (removed) warn(`function runner: removed ${removed} container(s) left by a dead runner`);
      return createDockerRunner({ docker, image, ...c });
    }
    if (choice === 'docker') throw new Error(`the Docker function runner cannot start: ${why}`);
    if (config.dockerHost) warn(`function runner: not using Docker: ${why}`);
    notes.push(`docker: ${why}`);
  }
  if (choice === 'auto' || choice === 'bubblewrap') {
    const probeDir = publicHarnessCopy();
    const bwrap = bubblewrapWorks({ python: c.python, harnessDir: probeDir, limits: c.limits });
    rmSync(probeDir, { recursive: true, force: true });
    if (bwrap.ok) return createHostSandboxRunner('bubblewrap', { ...c, note: notes.join('; ') || undefined });
    if (choice === 'bubblewrap') throw new Error(`the bubblewrap function runner cannot start: ${bwrap.why}`);
    warn(
      `function runner: bubblewrap cannot sandbox here (${bwrap.why}); using a plain subprocess with rlimits`,
    );
    notes.push(`bubblewrap: ${bwrap.why}`);
  }
  return createHostSandboxRunner('subprocess', { ...c, note: notes.join('; ') || undefined });
}

/**
 * Sandboxed requests to the sandbox (never with secrets), `sharedPool` ones to the trusted pool: its
 * context's secrets (the secrets store's, decrypted by the execution worker) over the lowest-priority
 * fallback from SINAS_SHARED_POOL_SECRETS.
 */
class RoutingRunner implements FunctionRunner {
  constructor(
    private readonly sandboxed: FunctionRunner,
    private readonly shared: FunctionRunner,
    private readonly sharedSecrets: Readonly<Record<string, string>>,
  ) {}

  run(request: RunRequest, signal?: AbortSignal): Promise<RunOutcome> {
    if (!request.sharedPool) {
      const { secrets: _never, ...context } = request.context;
      return this.sandboxed.run({ ...request, context }, signal);
    }
    const secrets = { ...this.sharedSecrets, ...request.context.secrets };
    return this.shared.run({ ...request, context: { ...request.context, secrets } }, signal);
  }

  health(): RunnerHealth {
    const inner = this.sandboxed.health();
    return { sandbox: inner.sandbox, detail: { ...inner.detail, shared_pool: this.shared.health().detail } };
  }

  async close(): Promise<void> {
    await Promise.all([this.sandboxed.close(), this.shared.close()]);
  }
}
