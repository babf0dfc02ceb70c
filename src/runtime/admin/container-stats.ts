/**
 * `GET /api/v1/containers/stats` in the original's shape, merged from the function runner pools the
 * live worker processes reported in their last heartbeat (so it is as fresh as one beat, and an API
 * process that runs no functions still answers). Only a Docker runner's workers are containers: with
 * bubblewrap, WebAssembly or no runner anywhere the answer is all zeros and empty lists, with
 * `sandboxes` saying which runners are in use instead.
 */
import type { RunnerPoolView } from '../functions/function-runner.js';

export interface ContainerInfo {
  name: string;
  status: 'running';
  executions: number;
  age_seconds: number;
}

export interface ContainerStats {
  idle: number;
  in_use: number;
  total: number;
  max_size: number;
  min_idle: number;
  max_executions: number;
  idle_containers: ContainerInfo[];
  in_use_containers: ContainerInfo[];
  /** the sandboxes the live worker processes run functions in */
  sandboxes: string[];
}

export function containerStats(pools: readonly RunnerPoolView[], now = Date.now()): ContainerStats {
  const docker = pools.filter((p) => p.sandbox === 'docker');
  const members = docker.flatMap((p) => p.members);
  const info = (m: RunnerPoolView['members'][number]): ContainerInfo => ({
    name: m.containerId ?? m.id,
    status: 'running',
    executions: m.runs,
    age_seconds: Math.max(0, Math.floor((now - m.startedAt) / 1000)),
  });
  const idle = members.filter((m) => m.state === 'idle').map(info);
  const inUse = members.filter((m) => m.state === 'in_use').map(info);
  return {
    idle: idle.length,
    in_use: inUse.length,
    total: members.length,
    max_size: docker.reduce((a, p) => a + p.max, 0),
    min_idle: docker.reduce((a, p) => a + p.min, 0),
    max_executions: Math.max(0, ...docker.map((p) => p.maxRuns)),
    idle_containers: idle,
    in_use_containers: inUse,
    sandboxes: [...new Set(pools.map((p) => p.sandbox))].sort(),
  };
}
