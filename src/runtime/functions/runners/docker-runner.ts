/** The Docker sandbox: a WarmPool of DockerWorkers behind the PooledRunner. */
import os from 'node:os';
import Docker from 'dockerode';
import { CONTAINER_LABEL, DockerWorker } from './docker-worker.js';
import { describeLimits, type SandboxLimits } from './limits.js';
import { PooledRunner } from './pooled-runner.js';
import { WarmPool, type PoolOptions } from './warm-pool.js';

const READY_TIMEOUT_MS = 15_000;

/** `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375` or a bare socket path. */
export function dockerClient(host: string): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

/** Why Docker can't serve (unreachable, image missing), or null when it can. */
export async function dockerUnavailable(docker: Docker, image: string): Promise<string | null> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no answer in 3 s')), 3000).unref(),
  );
  try {
    await Promise.race([docker.ping(), timeout]);
  } catch (err) {
    return `the Docker daemon is unreachable: ${(err as Error).message}`;
  }
  try {
    await docker.getImage(image).inspect();
  } catch {
    return `the image ${image} is missing (build it with infra/build-python-image.sh)`;
  }
  return null;
}

/** Containers left by a runner process on this host that no longer exists. */
export async function removeOrphans(docker: Docker): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [CONTAINER_LABEL] } });
  const orphans = list.filter((c) => {
    const [host, pid] = (c.Labels['sinas.owner'] ?? '').split(':');
    return host === os.hostname() && pid !== undefined && !processAlive(Number(pid));
  });
  await Promise.all(
    orphans.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
  return orphans.length;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DockerRunnerOptions {
  readonly docker: Docker;
  readonly image: string;
  readonly limits: SandboxLimits;
  readonly pool: PoolOptions;
  readonly outputLimit: number;
}

export function createDockerRunner(opts: DockerRunnerOptions): PooledRunner<DockerWorker> {
  const pool = new WarmPool(
    () => DockerWorker.start(opts.docker, opts.image, opts.limits, READY_TIMEOUT_MS),
    opts.pool,
  );
  pool.warm();
  return new PooledRunner(pool, {
    sandbox: 'docker',
    trusted: false,
    outputLimit: opts.outputLimit,
    detail: { image: opts.image, limits: describeLimits(opts.limits) },
  });
}
