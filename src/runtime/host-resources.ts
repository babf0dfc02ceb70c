/**
 * The host's CPU, memory and disk use, for the console's System page: CPU over a short sample of
 * the kernel's counters, memory as the kernel's "available" (the page cache counts as free), disk
 * of the filesystem the data directory is on. A figure the host does not offer is null.
 */
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';

export interface HostResources {
  cpu_percent: number | null;
  memory_total_mb: number | null;
  memory_used_mb: number | null;
  memory_percent: number | null;
  disk_total_gb: number | null;
  disk_used_gb: number | null;
  disk_percent: number | null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const MB = 1024 * 1024;
const GB = MB * 1024;

export async function hostResources(diskPath: string, sampleMs = 100): Promise<HostResources> {
  const [cpu, memory, disk] = await Promise.all([cpuPercent(sampleMs), memoryUse(), diskUse(diskPath)]);
  return { cpu_percent: cpu, ...memory, ...disk };
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  return { idle, total };
}

async function cpuPercent(sampleMs: number): Promise<number | null> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, sampleMs));
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? round1((1 - (b.idle - a.idle) / total) * 100) : null;
}

/** MemAvailable from /proc/meminfo where there is one, else what Node reports free */
async function availableBytes(): Promise<number> {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return ''; // not Linux: Node's own figure below
    throw e;
  });
  const kb = /^MemAvailable:\s+(\d+)\s+kB/m.exec(meminfo)?.[1];
  return kb !== undefined ? Number(kb) * 1024 : os.freemem();
}

async function memoryUse(): Promise<
  Pick<HostResources, 'memory_total_mb' | 'memory_used_mb' | 'memory_percent'>
> {
  const total = os.totalmem();
  const used = total - (await availableBytes());
  return {
    memory_total_mb: round1(total / MB),
    memory_used_mb: round1(used / MB),
    memory_percent: total > 0 ? round1((used / total) * 100) : null,
  };
}

async function diskUse(
  path: string,
): Promise<Pick<HostResources, 'disk_total_gb' | 'disk_used_gb' | 'disk_percent'>> {
  const s = await statfs(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return statfs('/'); // no data directory yet: the root filesystem
    throw e;
  });
  const total = s.blocks * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  return {
    disk_total_gb: round1(total / GB),
    disk_used_gb: round1(used / GB),
    disk_percent: total > 0 ? round1((used / total) * 100) : null,
  };
}
