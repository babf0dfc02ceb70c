/**
 * Docker for the test run (and the benchmarks): uses DOCKER_HOST when it is set and answers; otherwise,
 * as root with `dockerd` installed, starts a private daemon (no bridge, no iptables) on a socket in a
 * temp dir, with a persistent data root so the built image survives between runs, and stops it by PID
 * afterwards. Builds the harness image with infra/build-python-image.sh when the daemon lacks it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerClient, dockerUnavailable } from '../../src/runtime/functions/runners/docker-runner.js';
import { pythonImageName } from '../../src/runtime/functions/runners/harness-files.js';
import { hasCommand, type RunningService } from './services.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD_SCRIPT = path.join(ROOT, 'infra/build-python-image.sh');

export type DockerSetup =
  | { readonly host: string; readonly service: RunningService | null }
  | { readonly host: null; readonly why: string };

/** The daemon the Docker suites use, or why there is none. */
export function testDockerHost(): string | undefined {
  return process.env.SINAS_DOCKER_HOST || process.env.DOCKER_HOST || undefined;
}

export async function startDocker(log: (m: string) => void): Promise<DockerSetup> {
  const given = testDockerHost();
  if (given) {
    const why = await ensureImage(given, log);
    return why ? { host: null, why: `DOCKER_HOST=${given}: ${why}` } : { host: given, service: null };
  }
  if (process.getuid?.() !== 0) return { host: null, why: 'not root, so no private dockerd can start' };
  if (!hasCommand('dockerd')) return { host: null, why: 'dockerd is not installed' };
  const daemon = await startPrivateDockerd(log);
  const why = await ensureImage(daemon.url, log);
  if (why) {
    await daemon.stop();
    return { host: null, why };
  }
  return { host: daemon.url, service: daemon };
}

/** null when the daemon answers and has (or now has) the image; else why not. */
async function ensureImage(host: string, log: (m: string) => void): Promise<string | null> {
  const image = pythonImageName();
  const why = await dockerUnavailable(dockerClient(host), image);
  if (why === null || !why.includes('missing')) return why;
  log(`building ${image} (infra/build-python-image.sh; debootstrap takes a minute or two the first time)`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(BUILD_SCRIPT, [], {
      env: { ...process.env, DOCKER_HOST: host },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('exit', resolve);
    child.once('error', () => resolve(-1));
  });
  return code === 0
    ? dockerUnavailable(dockerClient(host), image)
    : `building ${image} failed (exit ${code})`;
}

/** The shared data root when no other run holds it, else a throwaway one (re-imports the cached rootfs). */
function claimDataRoot(): { dir: string; release: () => void } {
  const shared = process.env.SINAS_DOCKER_DATA || '/var/tmp/sinas-test-docker';
  const lock = `${shared}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      return { dir: shared, release: () => rmSync(lock, { force: true }) };
    } catch {
      const holder = Number(readFileSync(lock, 'utf8') || 0);
      if (holder && pidAlive(holder)) break;
      unlinkSync(lock); // a stale lock from a run that died
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sinas-docker-data-'));
  return { dir, release: () => rmSync(dir, { recursive: true, force: true }) };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startPrivateDockerd(log: (m: string) => void): Promise<RunningService> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sinas-dockerd-'));
  const data = claimDataRoot();
  const sock = path.join(tmp, 'docker.sock');
  const logFd = openSync(path.join(tmp, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--bridge=none',
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      `--data-root=${data.dir}`,
      `--exec-root=${path.join(tmp, 'exec')}`,
      `-H=unix://${sock}`,
      `--pidfile=${path.join(tmp, 'docker.pid')}`,
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    data.release();
    rmSync(tmp, { recursive: true, force: true });
  };
  const url = `unix://${sock}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) break;
    const ok = await dockerClient(url)
      .ping()
      .then(() => true)
      .catch(() => false);
    if (ok) {
      log(`private dockerd (pid ${child.pid}) on ${url}, data root ${data.dir}`);
      return { url, stop };
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = readFileSync(path.join(tmp, 'dockerd.log'), 'utf8').split('\n').slice(-10).join('\n');
  await stop();
  throw new Error(`dockerd did not answer within 30 s:\n${tail}`);
}
