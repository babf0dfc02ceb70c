/** Request bodies of the event subscriptions API; the routes and OpenAPI use the same objects. */
import type { JSONSchema } from '../validation.js';

const NAMES: JSONSchema = {
  type: 'array',
  maxItems: 100,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 200 },
};
const FIELDS: Readonly<Record<string, JSONSchema>> = {
  url: { type: 'string', minLength: 1, maxLength: 2048 },
  event_types: { ...NAMES, description: 'event types to deliver; empty or absent: every type' },
  categories: {
    ...NAMES,
    description: 'stream categories to deliver (`chat`, `execution`, ...); empty or absent: every category',
  },
  description: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] },
  active: { type: 'boolean' },
};

export interface SubscriptionInput {
  readonly url?: string;
  readonly event_types?: string[];
  readonly categories?: string[];
  readonly description?: string | null;
  readonly active?: boolean;
  readonly scope?: 'own' | 'all';
}

export const createSubscriptionSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    ...FIELDS,
    scope: {
      type: 'string',
      enum: ['own', 'all'],
      description: "'all' (every event) needs sinas.webhooks.read:all; default: 'all' for those who hold it",
    },
  },
};

export const updateSubscriptionSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: FIELDS,
};
