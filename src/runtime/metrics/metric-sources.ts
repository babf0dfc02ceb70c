/**
 * Where a scrape reads the levels: the job queue's counts per queue, each projection's checkpoint
 * against the event store's head, the function runner's warm pool, the open SSE streams. A port
 * that cannot answer (Redis away) leaves its series out of that scrape and says so in the log;
 * the scrape itself still answers.
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import type { EventStore } from '../../events/event-store.js';
import type { FunctionRunner } from '../functions/function-runner.js';
import { EXECUTION_QUEUE } from '../functions/execution-jobs.js';
import type { JobQueue } from '../queue/job-queue.js';
import { PURGE_QUEUE } from '../turns/purge.js';
import { TURN_QUEUE } from '../turns/turn-jobs.js';
import type { MetricSources } from './metrics.js';

export interface SourcePorts {
  readonly pool: pg.Pool;
  readonly eventStore: EventStore;
  readonly queue: JobQueue;
  readonly functionRunner: FunctionRunner | undefined;
  readonly log: Logger;
  readonly openStreams: () => number;
}

const QUEUES = [TURN_QUEUE, EXECUTION_QUEUE, PURGE_QUEUE];

export function metricSources(p: SourcePorts): MetricSources {
  const unavailable = (what: string) => (err: unknown) => {
    p.log.warn({ err }, `metrics: ${what} could not be read for this scrape`);
    return undefined;
  };
  return {
    async queueDepths() {
      const out: Record<string, Record<string, number>> = {};
      for (const queue of QUEUES) {
        const counts = await p.queue.counts(queue).catch(unavailable(`the ${queue} queue's counts`));
        if (counts) out[queue] = { ...counts };
      }
      return out;
    },
    async projectionLag() {
      const read = async () => {
        const head = await p.eventStore.headPosition();
        const { rows } = await p.pool.query<{ name: string; position: string }>(
          'SELECT name, position FROM projection_checkpoints',
        );
        return Object.fromEntries(rows.map((r) => [r.name, Number(head - BigInt(r.position))]));
      };
      return (await read().catch(unavailable('the projection checkpoints'))) ?? {};
    },
    pool() {
      const stats = p.functionRunner?.health().detail.pool as { hits?: number; misses?: number } | undefined;
      return stats && typeof stats.hits === 'number' && typeof stats.misses === 'number'
        ? { hits: stats.hits, misses: stats.misses }
        : undefined;
    },
    openStreams: p.openStreams,
  };
}
