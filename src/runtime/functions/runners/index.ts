/**
 * createFunctionRunner: picks the strongest sandbox this machine offers — Docker when DOCKER_HOST
 * (or SINAS_DOCKER_HOST) reaches a daemon that has the harness image, else bubblewrap, else Python
 * compiled to WebAssembly, which needs nothing from the machine — and routes `sharedPool` requests to
 * the trusted shared pool. User code runs as a plain host process only when the operator says so by
 * name (`unsafe-subprocess`), never in production.
 */
import { existsSync, rmSync } from 'node:fs';
import { ValidationError } from '../../../errors.js';
import type {
  FunctionRunner,
  PoolControl,
  PoolName,
  RunnerHealth,
  RunnerPoolView,
  RunOutcome,
  RunRequest,
} from '../function-runner.js';
import { createDockerRunner, dockerClient, dockerUnavailable, removeOrphans } from './docker-runner.js';
import { publicHarnessCopy, pythonImageName } from './harness-files.js';
import { DEFAULT_OUTPUT_LIMIT } from './harness-protocol.js';
import { createHostSandboxRunner, createSharedPoolRunner } from './host-runner.js';
import { DEFAULT_LIMITS, type SandboxLimits } from './limits.js';
import { bubblewrapWorks } from './sandbox-command.js';
import { createWasmRunner } from './wasm-runner.js';
import type { PoolOptions } from './warm-pool.js';

export const SANDBOX_CHOICES = ['auto', 'docker', 'bubblewrap', 'wasm', 'unsafe-subprocess'] as const;
export type SandboxChoice = (typeof SANDBOX_CHOICES)[number];

export interface FunctionRunnerConfig {
  /** 'auto' (default) tries docker, then bubblewrap, then wasm; any other value forces one */
  readonly sandbox?: SandboxChoice;
  /** SINAS_ENV: production refuses `unsafe-subprocess` */
  readonly environment?: 'development' | 'production';
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
/**
 * A WebAssembly interpreter holds ~170 MB resident (measured: 20 of them, 3.5 GB), so its pool keeps
 * fewer than the container pool: 8 (~1.4 GB); raise SINAS_FUNCTION_POOL_MAX on a machine with room
 * for more (user, function version) pairs warm. An interpreter takes a while to load: a caller may
 * wait that long for one.
 */
const WASM_POOL: PoolOptions = { ...SANDBOX_POOL, max: 8, acquireTimeoutMs: 60_000 };
const SHARED_POOL: PoolOptions = { min: 1, max: 4, maxRuns: 1000, acquireTimeoutMs: 10_000 };

/** The config from SINAS_* environment variables (see README, "Function runners"). */
export function runnerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): FunctionRunnerConfig {
  const num = (name: string) => (env[name] ? Number(env[name]) : undefined);
  const pool = { min: num('SINAS_FUNCTION_POOL_MIN'), max: num('SINAS_FUNCTION_POOL_MAX') };
  const memoryMb = num('SINAS_FUNCTION_MEMORY_MB');
  return {
    sandbox: sandboxChoice(env.SINAS_FUNCTION_SANDBOX),
    environment: env.SINAS_ENV === 'production' ? 'production' : 'development',
    dockerHost: env.SINAS_DOCKER_HOST || env.DOCKER_HOST || undefined,
    image: env.SINAS_FUNCTION_IMAGE || undefined,
    python: env.SINAS_PYTHON || undefined,
    pool: definedOnly(pool),
    sharedPool: { secrets: parseSecrets(env.SINAS_SHARED_POOL_SECRETS) },
    limits: memoryMb ? { memoryBytes: memoryMb * 1024 * 1024 } : {},
  };
}

/**
 * SINAS_FUNCTION_SANDBOX, checked. The old `subprocess` is refused rather than read as
 * `unsafe-subprocess`: running user code as a host process must be chosen knowing that is what it does,
 * and an old setting that never said so now stops the start with this message instead.
 */
function sandboxChoice(value: string | undefined): SandboxChoice {
  const v = value?.trim() || 'auto';
  if ((SANDBOX_CHOICES as readonly string[]).includes(v)) return v as SandboxChoice;
  if (v === 'subprocess')
    throw new ValidationError(
      'SINAS_FUNCTION_SANDBOX=subprocess is no longer accepted: it ran user code as a plain host process. ' +
        "Use 'wasm' (sandboxed, needs nothing installed) or, knowing it gives function authors this " +
        "process's user, files and network, 'unsafe-subprocess'",
      'SINAS_FUNCTION_SANDBOX',
    );
  throw new ValidationError(
    `SINAS_FUNCTION_SANDBOX must be one of ${SANDBOX_CHOICES.join(', ')}, got '${v}'`,
    'SINAS_FUNCTION_SANDBOX',
  );
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
  const sandboxed = await pickSandbox(config, { python, limits, outputLimit, pool: config.pool ?? {} }, warn);
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
  /** overrides of the chosen sandbox's pool defaults */
  readonly pool: Partial<PoolOptions>;
}

const UNSAFE_WARNING =
  'UNSAFE: SINAS_FUNCTION_SANDBOX=unsafe-subprocess: user functions run as plain host processes with ' +
  "this process's user, its files and its network (the embedded database included). Anyone who can " +
  'create a function can act as this server. Never use this where users are not fully trusted.';

async function pickSandbox(
  config: FunctionRunnerConfig,
  c: Common,
  warn: (m: string) => void,
): Promise<FunctionRunner> {
  const choice = config.sandbox ?? 'auto';
  const sandbox = { ...c, pool: { ...SANDBOX_POOL, ...c.pool } };
  if (choice === 'unsafe-subprocess') return unsafeSubprocess(config, sandbox, warn);
  const notes: string[] = [];
  const note = () => notes.join('; ') || undefined;
  if (choice === 'auto' || choice === 'docker') {
    const docker = await tryDocker(config, sandbox, warn);
    if (typeof docker !== 'string') return docker;
    if (choice === 'docker') throw new Error(`the Docker function runner cannot start: ${docker}`);
    notes.push(`docker: ${docker}`);
  }
  if (choice === 'auto' || choice === 'bubblewrap') {
    const why = bubblewrapUnavailable(c);
    if (why === null) return createHostSandboxRunner('bubblewrap', { ...sandbox, note: note() });
    if (choice === 'bubblewrap') throw new Error(`the bubblewrap function runner cannot start: ${why}`);
    warn(`function runner: bubblewrap cannot sandbox here (${why}); using Python compiled to WebAssembly`);
    notes.push(`bubblewrap: ${why}`);
  }
  return createWasmRunner({ ...c, pool: { ...WASM_POOL, ...c.pool }, note: note(), warn });
}

/** The plain host process: only when chosen by name, never in production, always with a loud warning. */
function unsafeSubprocess(
  config: FunctionRunnerConfig,
  c: Common & { pool: PoolOptions },
  warn: (m: string) => void,
): FunctionRunner {
  if (config.environment === 'production')
    throw new ValidationError(
      'SINAS_FUNCTION_SANDBOX=unsafe-subprocess is refused in production (SINAS_ENV=production)',
      'SINAS_FUNCTION_SANDBOX',
    );
  warn(`${'!'.repeat(8)} ${UNSAFE_WARNING}`);
  return createHostSandboxRunner('unsafe-subprocess', { ...c, note: UNSAFE_WARNING });
}

function bubblewrapUnavailable(c: Common): string | null {
  const probeDir = publicHarnessCopy();
  const bwrap = bubblewrapWorks({ python: c.python, harnessDir: probeDir, limits: c.limits });
  rmSync(probeDir, { recursive: true, force: true });
  return bwrap.ok ? null : bwrap.why;
}

/** The Docker runner, or why there is none (a warning when a daemon was named but cannot serve). */
async function tryDocker(
  config: FunctionRunnerConfig,
  c: Common & { pool: PoolOptions },
  warn: (m: string) => void,
): Promise<FunctionRunner | string> {
  const image = config.image ?? pythonImageName();
  const docker = config.dockerHost ? dockerClient(config.dockerHost) : null;
  const why = docker ? await dockerUnavailable(docker, image) : 'no DOCKER_HOST or SINAS_DOCKER_HOST is set';
  if (docker && why === null) {
    const removed = await removeOrphans(docker).catch(() => 0);
    if (removed) warn(`function runner: removed ${removed} container(s) left by a dead runner`);
    return createDockerRunner({ docker, image, ...c });
  }
  if (config.dockerHost) warn(`function runner: not using Docker: ${why}`);
  return why ?? 'unknown';
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

  poolView(): RunnerPoolView {
    return this.sandboxed.poolView();
  }

  poolControl(name: PoolName): PoolControl | undefined {
    switch (name) {
      case 'sandbox':
        return this.sandboxed.poolControl('sandbox');
      case 'shared':
        return this.shared.poolControl('sandbox');
      default: {
        const unreachable: never = name;
        throw new Error(`unknown pool ${String(unreachable)}`);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.sandboxed.close(), this.shared.close()]);
  }
}
