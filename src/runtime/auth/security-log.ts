/**
 * Records security events (`security-<yyyy-mm-dd>`) at a bounded rate: at most `perIp` per IP per
 * minute, then one `SecurityEventsSuppressed` for the rest of that minute, and at most 50 times that
 * across all IPs; so a flood of bad logins cannot fill the event store. A failed append is logged,
 * not thrown: the caller's answer (401, 403, 429) does not depend on it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SecurityEvent } from '../../events/auth-events.js';
import type { EventStore } from '../../events/event-store.js';
import { streams } from '../../events/stream-names.js';
import type { RateLimiter } from './rate-limiter.js';

const MINUTE = 60_000;

/** What a security event may say about an email: the first 16 hex digits of its SHA-256. */
export const emailHash = (normalized: string) =>
  createHash('sha256').update(normalized).digest('hex').slice(0, 16);

type Data<T extends SecurityEvent['type']> = Omit<Extract<SecurityEvent, { type: T }>['data'], 'at'>;

export class SecurityLog {
  constructor(
    private readonly store: EventStore,
    private readonly limiter: RateLimiter,
    private readonly perIp: number,
    private readonly log: Logger,
  ) {}

  async record<T extends Exclude<SecurityEvent['type'], 'SecurityEventsSuppressed'>>(
    type: T,
    data: Data<T>,
  ): Promise<void> {
    try {
      const now = new Date();
      const ip = await this.limiter.hit(`security-ip:${data.ip}`, MINUTE, now);
      if (ip.count > this.perIp + 1) return;
      const all = await this.limiter.hit('security-all', MINUTE, now);
      if (all.count > this.perIp * 50) return;
      const event: SecurityEvent =
        ip.count <= this.perIp
          ? ({ type, data: { ...data, at: now.toISOString() } } as unknown as SecurityEvent)
          : {
              type: 'SecurityEventsSuppressed',
              data: {
                ip: data.ip,
                limit: this.perIp,
                windowStart: ip.windowStart.toISOString(),
                windowEnd: ip.windowEnd.toISOString(),
                firstSuppressed: type,
                at: now.toISOString(),
              },
            };
      await this.append(event, now);
    } catch (err) {
      this.log.error({ err, securityEvent: type }, 'recording a security event failed');
    }
  }

  private async append(event: SecurityEvent, now: Date): Promise<void> {
    const id = randomUUID();
    await this.store.append(
      streams.security(now),
      [
        {
          id,
          type: event.type,
          data: event.data,
          metadata: { correlationId: id, causationId: id, actor: 'system', version: 1 },
        },
      ],
      'any',
    );
  }
}
