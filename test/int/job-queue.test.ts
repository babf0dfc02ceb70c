import { randomUUID } from 'node:crypto';
import { BullMqQueue } from '../../src/runtime/queue/bullmq-queue.js';
import { InProcessQueue } from '../../src/runtime/queue/in-process-queue.js';
import { redisUrl, skipLoudly } from '../support/skip.js';
import { jobQueueContract } from './job-queue.contract.js';

describe('JobQueue contract: in-process', function () {
  jobQueueContract((o) => new InProcessQueue(undefined, o?.stopGraceMs));
});

describe('JobQueue contract: BullMQ', function () {
  before(function () {
    if (!redisUrl()) skipLoudly(this, 'redis', 'TEST_REDIS_URL is not set');
  });
  jobQueueContract(
    (o) =>
      new BullMqQueue({ url: redisUrl() ?? '', prefix: `test-${randomUUID()}`, stopGraceMs: o?.stopGraceMs }),
  );
});
