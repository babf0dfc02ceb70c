/** Resource limits for sandboxed function runs, and the environment that hands them to the harness. */

export interface SandboxLimits {
  readonly memoryBytes: number;
  /** processes/threads (Docker pids cgroup; RLIMIT_NPROC elsewhere) */
  readonly pids: number;
  /** Docker only */
  readonly cpus: number;
  readonly tmpfsBytes: number;
  readonly fileSizeBytes: number;
  readonly openFiles: number;
  /** CPU seconds over one worker's whole life (a single run is bounded by its timeout) */
  readonly cpuSecondsPerWorker: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 256 * MiB,
  pids: 64,
  cpus: 1,
  tmpfsBytes: 16 * MiB,
  fileSizeBytes: 16 * MiB,
  openFiles: 256,
  cpuSecondsPerWorker: 3600,
};

/** The harness applies these with setrlimit at start (infra/python/sinas_harness.py). */
export function harnessLimitEnv(limits: SandboxLimits): Record<string, string> {
  return {
    SINAS_LIMIT_AS_BYTES: String(limits.memoryBytes),
    SINAS_LIMIT_FSIZE_BYTES: String(limits.fileSizeBytes),
    SINAS_LIMIT_NOFILE: String(limits.openFiles),
  };
}

export function describeLimits(limits: SandboxLimits): Record<string, number> {
  return {
    memory_mb: Math.round(limits.memoryBytes / MiB),
    pids: limits.pids,
    cpus: limits.cpus,
    tmpfs_mb: Math.round(limits.tmpfsBytes / MiB),
  };
}
