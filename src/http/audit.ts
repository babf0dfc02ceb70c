/**
 * The audit log and verifiable export (issue 6): `GET /api/v1/audit/events` (filters, paged by
 * `$all` position), `GET /api/v1/audit/export` (NDJSON with a SHA-256 hash chain and an Ed25519
 * signed summary; README "Verifiable export"), and the signing key's public half. Holders of
 * `sinas.audit.read:all` (auditors, administrators) read every event whole; a narrower
 * `sinas.audit.read:own` reads the log as the read filter shows it to them (visibility.ts).
 */
import type { Request } from 'express';
import type { AuditFilter, AuditLog } from '../audit/audit-query.js';
import { ExportChain, seenEvent, type SigningKey } from '../audit/export-chain.js';
import type { EventVisibility } from '../audit/visibility.js';
import { ValidationError } from '../errors.js';
import { readerOfRequest } from './reader.js';
import { queryOf, type RouteRegistry } from './routes.js';

export interface AuditRouteDeps {
  /** the log, read as a reader's view shows it */
  readonly log: AuditLog;
  readonly key: SigningKey;
  /** what a reader without `sinas.audit.read:all` may see of each event */
  readonly visibility: EventVisibility;
}

const tags = ['Audit'];
/** `:all` covers it: auditors read everything; `:own` reads what the reader may read */
const READ = { permission: () => 'sinas.audit.read:own' };
const filterQuery = {
  stream: { type: 'string', minLength: 1, maxLength: 600 },
  category: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', maxLength: 100 },
  type: { type: 'string', maxLength: 200 },
  actor: { type: 'string', maxLength: 200 },
  correlation_id: { type: 'string', maxLength: 200 },
  from: { type: 'string', format: 'date-time' },
  to: { type: 'string', format: 'date-time' },
};

function filterOf(req: Request): AuditFilter {
  const q = queryOf(req) as Record<string, string | undefined>;
  const f: AuditFilter = {
    ...(q.stream ? { stream: q.stream } : {}),
    ...(q.category ? { category: q.category } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.correlation_id ? { correlationId: q.correlation_id } : {}),
    ...(q.from ? { from: new Date(q.from) } : {}),
    ...(q.to ? { to: new Date(q.to) } : {}),
  };
  if (f.from && f.to && f.from > f.to) throw new ValidationError('from: must not be after to', 'from');
  return f;
}

export function registerAuditRoutes(registry: RouteRegistry, d: AuditRouteDeps): void {
  registry.add({
    method: 'get',
    path: '/api/v1/audit/events',
    access: READ,
    summary:
      'Events over the whole log, in commit order, filtered; page with `after` (the last position you saw). Without sinas.audit.read:all: what the caller may read, other events as references or left out',
    tags,
    query: {
      ...filterQuery,
      after: { type: 'string', pattern: '^\\d{1,18}$', maxLength: 18, description: 'a position of the log' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    responses: {
      200: {
        type: 'object',
        properties: { events: { type: 'array' }, next_after: { type: ['string', 'null'] } },
      },
    },
    handler: async (req, res) => {
      const q = queryOf(req) as { after?: string; limit?: number };
      const { events, next } = await d.log.page(
        filterOf(req),
        BigInt(q.after ?? '0'),
        q.limit ?? 100,
        d.visibility.viewer(readerOfRequest(req)),
      );
      res.json({ events: events.map(seenEvent), next_after: next?.toString() ?? null });
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/audit/export',
    access: READ,
    summary: 'A verifiable NDJSON export: one event a line with a hash chain, then an Ed25519-signed summary',
    tags,
    query: filterQuery,
    responses: { 200: { type: 'string', description: 'application/x-ndjson' } as never },
    handler: async (req, res) => {
      const filter = filterOf(req);
      const described = Object.fromEntries(
        Object.entries(queryOf(req) as Record<string, unknown>).filter(([, v]) => typeof v === 'string'),
      ) as Record<string, string>;
      const reader = readerOfRequest(req);
      const chain = new ExportChain(d.key, {
        reader: reader.userId,
        scope: reader.everything ? 'all' : 'own',
      });
      res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
      res.setHeader('Content-Disposition', 'attachment; filename="sinas-audit-export.ndjson"');
      let buffer: string[] = [];
      for await (const e of d.log.all(filter, d.visibility.viewer(reader))) {
        buffer.push(chain.line(e));
        if (buffer.length >= 500) {
          if (!res.write(buffer.join('\n') + '\n')) await new Promise((r) => res.once('drain', r));
          buffer = [];
        }
      }
      buffer.push(chain.summary(described));
      res.end(buffer.join('\n') + '\n');
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/audit/public-key',
    access: { signedIn: 'any credential' },
    summary: "The audit exports' signing key (public half) and its fingerprint",
    tags,
    responses: {
      200: {
        type: 'object',
        properties: { public_key: { type: 'string' }, fingerprint: { type: 'string' } },
      },
    },
    handler: (_req, res) =>
      void res.json({ public_key: d.key.publicPem, fingerprint: d.key.fingerprint, algorithm: 'Ed25519' }),
  });
}
