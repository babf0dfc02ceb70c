/** The containers view merged from the pools live worker processes report: only Docker's are containers. */
import { expect } from 'chai';
import { containerStats } from '../../src/runtime/admin/container-stats.js';
import type { RunnerPoolView } from '../../src/runtime/functions/function-runner.js';

const NOW = 1_000_000;
const docker = (members: RunnerPoolView['members']): RunnerPoolView => ({
  sandbox: 'docker',
  min: 2,
  max: 32,
  maxRuns: 100,
  members,
});

describe('container stats (GET /api/v1/containers/stats)', () => {
  it("merges the Docker pools of every live process into the original's shape", () => {
    const stats = containerStats(
      [
        docker([
          { id: 'w1', containerId: 'c-1', state: 'idle', runs: 3, startedAt: NOW - 90_500 },
          { id: 'w2', containerId: 'c-2', state: 'in_use', runs: 1, startedAt: NOW - 1000 },
        ]),
        docker([{ id: 'w3', containerId: 'c-3', state: 'idle', runs: 0, startedAt: NOW }]),
      ],
      NOW,
    );
    expect(stats).to.deep.include({
      idle: 2,
      in_use: 1,
      total: 3,
      max_size: 64,
      min_idle: 4,
      max_executions: 100,
    });
    expect(stats.idle_containers).to.deep.equal([
      { name: 'c-1', status: 'running', executions: 3, age_seconds: 90 },
      { name: 'c-3', status: 'running', executions: 0, age_seconds: 0 },
    ]);
    expect(stats.in_use_containers).to.deep.equal([
      { name: 'c-2', status: 'running', executions: 1, age_seconds: 1 },
    ]);
    expect(stats.sandboxes).to.deep.equal(['docker']);
  });

  it('answers zeros and empty lists without Docker, naming the sandboxes in use instead', () => {
    const wasm: RunnerPoolView = {
      sandbox: 'wasm',
      min: 2,
      max: 8,
      maxRuns: 100,
      members: [{ id: 'i1', containerId: null, state: 'idle', runs: 0, startedAt: NOW }],
    };
    expect(containerStats([wasm], NOW)).to.deep.equal({
      idle: 0,
      in_use: 0,
      total: 0,
      max_size: 0,
      min_idle: 0,
      max_executions: 0,
      idle_containers: [],
      in_use_containers: [],
      sandboxes: ['wasm'],
    });
    expect(containerStats([], NOW).sandboxes).to.deep.equal([]);
  });
});
