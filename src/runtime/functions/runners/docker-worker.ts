/**
 * A harness in a locked-down container: non-root, read-only root with a small tmpfs /tmp, no
 * capabilities, no-new-privileges, no network, memory/CPU/pids limits, an init process. The protocol
 * runs over the container's attached stdin/stdout (one hijacked connection kept open per container).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { HarnessChannel, type Exchange, type HarnessWorker } from './harness-channel.js';
import type { HarnessRequest } from './harness-protocol.js';
import { harnessLimitEnv, type SandboxLimits } from './limits.js';

export const CONTAINER_LABEL = 'sinas.function-runner';
const STDERR_TAIL = 4096;

export function containerOptions(image: string, limits: SandboxLimits): Docker.ContainerCreateOptions {
  return {
    Image: image,
    name: `sinas-fn-${randomBytes(6).toString('hex')}`,
    User: '10001:10001',
    Env: Object.entries(harnessLimitEnv(limits)).map(([k, v]) => `${k}=${v}`),
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    NetworkDisabled: true,
    Labels: { [CONTAINER_LABEL]: '1', 'sinas.owner': `${os.hostname()}:${process.pid}` },
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${limits.tmpfsBytes}` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      Init: true,
      Ulimits: [
        { Name: 'nofile', Soft: limits.openFiles, Hard: limits.openFiles },
        { Name: 'fsize', Soft: limits.fileSizeBytes, Hard: limits.fileSizeBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
    },
  };
}

/** Splits Docker's multiplexed attach stream (8-byte headers: type, 0, 0, 0, uint32 BE size). */
class DockerDemux {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (type: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) return;
      const type = this.buf[0]!;
      const payload = this.buf.subarray(8, 8 + size);
      this.buf = this.buf.subarray(8 + size);
      this.onFrame(type, payload);
    }
  }
}

export class DockerWorker implements HarnessWorker {
  runs = 0;
  onGone: (() => void) | null = null;
  private readonly channel: HarnessChannel;
  private stderrTail = '';
  private killed: Promise<void> | null = null;

  private constructor(
    private readonly container: Docker.Container,
    private readonly stream: Duplex,
    private readonly limits: SandboxLimits,
  ) {
    this.channel = new HarnessChannel((line) => stream.write(line));
    this.channel.onEnd = () => this.onGone?.();
    const demux = new DockerDemux((type, payload) => {
      if (type === 1) this.channel.push(payload);
      else this.stderrTail = (this.stderrTail + payload.toString('utf8')).slice(-STDERR_TAIL);
    });
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('end', () => this.channel.end('the container stopped'));
    stream.on('close', () => this.channel.end('the container stopped'));
    stream.on('error', (err) => this.channel.end(`attach stream: ${err.message}`));
  }

  static async start(
    docker: Docker,
    image: string,
    limits: SandboxLimits,
    readyTimeoutMs: number,
  ): Promise<DockerWorker> {
    const container = await docker.createContainer(containerOptions(image, limits));
    try {
      const stream = (await container.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      })) as unknown as Duplex;
      const worker = new DockerWorker(container, stream, limits);
      await container.start();
      await worker.channel.ready(readyTimeoutMs);
      return worker;
    } catch (err) {
      await container.remove({ force: true }).catch(() => {});
      throw err;
    }
  }

  get id(): string {
    return this.container.id;
  }

  get containerId(): string {
    return this.container.id.slice(0, 12);
  }

  get alive(): boolean {
    return this.channel.alive && this.killed === null;
  }

  exchange(request: HarnessRequest): Promise<Exchange> {
    return this.channel.exchange(request);
  }

  async explainExit(): Promise<string> {
    const info = await this.container.inspect().catch(() => null);
    const state = info?.State;
    const tail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
    if (state?.OOMKilled) {
      const mib = Math.round(this.limits.memoryBytes / 1024 / 1024);
      return `the function ran out of memory (container memory limit ${mib} MiB)`;
    }
    const how = state ? `exit code ${state.ExitCode}` : (this.channel.exitReason ?? 'unknown');
    return `the function's container stopped unexpectedly (${how})${tail ? `: ${tail}` : ''}`;
  }

  /** Hard kill: `remove --force` (SIGKILL, then remove) in one call. */
  kill(): Promise<void> {
    this.killed ??= this.container
      .remove({ force: true })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
      })
      .finally(() => {
        this.stream.destroy();
        this.channel.end('killed');
      });
    return this.killed;
  }
}
