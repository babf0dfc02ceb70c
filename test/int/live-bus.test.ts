import { MemoryLiveBus } from '../../src/runtime/live-bus/memory-live-bus.js';
import { RedisLiveBus } from '../../src/runtime/live-bus/redis-live-bus.js';
import type { LiveBus } from '../../src/runtime/live-bus/live-bus.js';
import { redisUrl, skipLoudly } from '../support/skip.js';
import { liveBusContract } from './live-bus.contract.js';

describe('LiveBus contract: memory', function () {
  // One process has one memory bus: a second open of a namespace shares the first one.
  const buses = new Map<string, LiveBus>();
  liveBusContract((namespace, retention) => {
    const bus = buses.get(namespace) ?? new MemoryLiveBus(retention);
    buses.set(namespace, bus);
    return bus;
  });
});

describe('LiveBus contract: Redis Streams', function () {
  before(function () {
    if (!redisUrl()) skipLoudly(this, 'redis', 'TEST_REDIS_URL is not set');
  });
  // A long block makes the multi-channel test fail unless a new channel interrupts the read.
  liveBusContract(
    (namespace, retention) =>
      new RedisLiveBus({
        url: redisUrl() ?? '',
        keyPrefix: `test:${namespace}:`,
        blockMs: 30_000,
        ...(retention ? { retention } : {}),
      }),
  );
});
