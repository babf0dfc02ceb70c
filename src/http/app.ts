/**
 * The express application: request ids, JSON bodies with a size limit, the input limits (depth,
 * numbers, storable text) on every request, routes, problem+json errors.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ApiKeys, Principal } from '../runtime/auth/api-keys.js';
import type { RequestLogEntry } from '../runtime/admin/request-log-writer.js';
import type { Metrics } from '../runtime/metrics/metrics.js';
import { YAML_TYPES } from './config.js';
import { authenticate, type AuthDeps } from './auth.js';
import { isConnectionError } from '../dependency-errors.js';
import { idempotency, swallowReplay } from './idempotency.js';
import { corsFor } from './cors.js';
import { inputLimits } from './input-limits.js';
import { registerApiDocs } from './api-docs.js';
import { errorHandler, notFoundHandler } from './problem.js';
import type { RouteRegistry } from './routes.js';

export interface AppDeps extends AuthDeps {
  readonly registry: RouteRegistry;
  readonly keys: ApiKeys;
  readonly pool: pg.Pool;
  readonly log: Logger;
  readonly bodyLimit: string;
  /** browser origins allowed to call (SINAS_CORS_ORIGINS) */
  readonly corsOrigins: '*' | readonly string[];
  /** takes each finished request for the request logs (never waits: ../runtime/admin/request-log-writer.ts) */
  readonly requestLog?: (entry: RequestLogEntry) => void;
  /** counts each request by its route's pattern (absent: metrics off) */
  readonly metrics?: Pick<Metrics, 'request'>;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    const id = req.get('x-request-id');
    const requestId = id && /^[\w.:-]{1,128}$/.test(id) ? id : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const started = Date.now();
    const startedHr = process.hrtime.bigint();
    // never the body (it may carry a secret's value) nor the headers (API keys)
    res.on('finish', () => {
      deps.log.debug(
        { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Date.now() - started },
        'request',
      );
      deps.requestLog?.({
        at: new Date(started),
        userId: (req as { principal?: Principal }).principal?.userId ?? null,
        method: req.method,
        path: req.originalUrl.split('?')[0]!,
        status: res.statusCode,
        durationMs: Date.now() - started,
      });
      // the route's pattern, never the URL (ids in paths would make a series per item)
      const route = (req.route as { path?: unknown } | undefined)?.path;
      deps.metrics?.request(
        req.method,
        typeof route === 'string' ? route : 'unmatched',
        res.statusCode,
        Number(process.hrtime.bigint() - startedHr) / 1e9,
      );
    });
    next();
  });
  const allowOrigins = corsFor(deps.corsOrigins);
  if (allowOrigins) app.use(allowOrigins); // before auth: a preflight carries no credentials
  app.use(express.json({ limit: deps.bodyLimit, type: ['application/json', 'application/*+json'] }));
  app.use(express.text({ limit: deps.bodyLimit, type: YAML_TYPES }));
  app.use(inputLimits);
  registerApiDocs(deps.registry, '0.1.0');
  const router = express.Router();
  const auth = authenticate(deps);
  const idem = idempotency(deps.pool);
  deps.registry.mount(router, (req, res, next) =>
    auth(req, res, (err?: unknown) => (err ? next(err) : idem(req, res, next))),
  );
  app.use(router);
  app.use(notFoundHandler);
  app.use(swallowReplay);
  app.use(
    errorHandler((err, status) => {
      // an outage is logged by the loops that live through it, once, not by every request it fails
      if (status >= 500 && !isConnectionError(err)) deps.log.error({ err }, 'request failed');
    }),
  );
  return app;
}
