/** Query parameters and response shape shared by the chat and execution timelines. */
import type { Request } from 'express';
import type { TimelineFilter } from '../audit/timeline.js';
import { queryOf } from './routes.js';

export const TIMELINE_QUERY = {
  type: { type: 'string', maxLength: 2000, description: 'event types, comma-separated' },
  from: { type: 'string', format: 'date-time' },
  to: { type: 'string', format: 'date-time' },
  after: { type: 'string', pattern: '^\\d{1,18}$', maxLength: 18, description: 'a position of the log' },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
};
export const TIMELINE_SCHEMA = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object' } },
    next_after: { type: ['string', 'null'] },
  },
};

export function timelineFilter(req: Request): TimelineFilter {
  const q = queryOf(req) as { type?: string; from?: string; to?: string; after?: string; limit?: number };
  return {
    ...(q.type
      ? {
          types: q.type
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        }
      : {}),
    ...(q.from ? { from: new Date(q.from) } : {}),
    ...(q.to ? { to: new Date(q.to) } : {}),
    ...(q.after ? { after: BigInt(q.after) } : {}),
    limit: q.limit ?? 200,
  };
}
