/**
 * How an ioredis connection behaves when Redis goes away: it never ends the process (every client
 * has an 'error' listener), it reconnects by itself with a capped, jittered backoff, and its
 * trouble is reported once per outage (the first error, then that it is back), not at every
 * reconnect attempt.
 */
import type { Redis, RedisOptions } from 'ioredis';

export interface OutageReport {
  /** the first error of an outage */
  down(err: Error): void;
  /** the connection is usable again after an outage */
  up(): void;
}

/** The longest wait between two reconnect attempts, in ms. */
const MAX_RECONNECT_MS = 1000;

/** Reconnect after 50, 100, ... ms, at most MAX_RECONNECT_MS, each with up to 20 % jitter. */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(attempt * 50, MAX_RECONNECT_MS);
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

/** Options every Redis client of the platform starts from. */
export const resilientOptions: RedisOptions = { retryStrategy: reconnectDelay };

/** Listens to `client`'s errors and reports each outage once through `report`. */
export function watchConnection<C extends Redis>(client: C, report: OutageReport): C {
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    report.down(err);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    report.up();
  });
  return client;
}

/** A report that writes to a logger, naming what lost its connection. */
export function logOutage(
  what: string,
  log: { warn(obj: object, msg: string): void; info(msg: string): void },
): OutageReport {
  return {
    down: (err) => log.warn({ err: err.message }, `${what}: redis is unreachable; retrying until it is back`),
    up: () => log.info(`${what}: redis is reachable again`),
  };
}
