/**
 * Where each trigger's polling stands, beside its fields in every response: the status its poll
 * stream's last event carries (`last_poll_value`, `error_message` as the reference names them, and
 * the most recent error, batches and rows counted). One read of one event per trigger.
 */
import type { JSONSchema } from '../../commands/validation.js';
import { triggerPollStream, type TriggerPollStatus } from '../../events/database-trigger-events.js';
import type { EventStore } from '../../events/event-store.js';
import type { Decoration } from '../../http/resources.js';

const ERROR: JSONSchema = {
  type: ['object', 'null'],
  properties: {
    message: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    source: { type: 'string', enum: ['poll', 'function'] },
  },
};

const SCHEMA: Readonly<Record<string, JSONSchema>> = {
  last_poll_value: {
    type: ['string', 'null'],
    description: 'the poll column value of the last row handed on, as text; null before the first batch',
  },
  error_message: { type: ['string', 'null'], description: 'what is wrong now; null when polling works' },
  last_error: { ...ERROR, description: 'the most recent error, kept after it cleared' },
  batches: { type: 'integer', description: 'batches claimed so far' },
  rows: { type: 'integer', description: 'rows handed on so far' },
  pending_batch: { type: ['integer', 'null'], description: 'the batch whose function run has not ended' },
};

const NONE: TriggerPollStatus = {
  batches: 0,
  rows: 0,
  lastPollValue: null,
  pendingBatch: null,
  error: null,
  lastError: null,
};

export function triggerStatus(store: EventStore): Decoration {
  const of = async (id: string) => {
    const [last] = await store.readStream(triggerPollStream(id), { direction: 'backwards', maxCount: 1 });
    const s = (last?.data.after as TriggerPollStatus | undefined) ?? NONE;
    return {
      last_poll_value: s.lastPollValue,
      error_message: s.error?.message ?? null,
      last_error: s.lastError,
      batches: s.batches,
      rows: s.rows,
      pending_batch: s.pendingBatch,
    };
  };
  return {
    schema: SCHEMA,
    of: async (ids) => new Map(await Promise.all(ids.map(async (id) => [id, await of(id)] as const))),
  };
}
