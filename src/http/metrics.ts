/**
 * `GET /metrics`: the process's Prometheus metrics, when configured on (SINAS_METRICS). With
 * SINAS_METRICS_KEY set a scraper must send `Authorization: Bearer <key>` (compared in constant
 * time); platform credentials play no part, so a scraper needs no user.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { UnauthorizedError } from '../errors.js';
import type { Metrics } from '../runtime/metrics/metrics.js';
import type { RouteRegistry } from './routes.js';

export function registerMetricsRoute(
  registry: RouteRegistry,
  metrics: Metrics,
  key: string | undefined,
): void {
  registry.add({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this process (Authorization: Bearer <SINAS_METRICS_KEY> when one is set)',
    tags: ['System'],
    public: true,
    responses: { 200: { type: 'string' }, 401: { type: 'object' } },
    produces: 'text/plain',
    handler: async (req, res) => {
      if (key !== undefined && !bearerIs(req, key))
        throw new UnauthorizedError('send Authorization: Bearer <SINAS_METRICS_KEY>', 'Authorization');
      const { contentType, body } = await metrics.scrape();
      res.setHeader('Content-Type', contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(body);
    },
  });
}

function bearerIs(req: Request, key: string): boolean {
  const m = /^bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!.trim()), digest(key));
}
