/**
 * The EventSubscription kind (README "Event webhooks") on the kit: addressed by a server-made id,
 * seen and changed by its owner or whoever holds `sinas.webhooks.<action>:all`. A new subscription
 * gets a Standard Webhooks signing secret, sealed before it reaches a command: the plaintext is
 * returned once, to the creator. The url is checked against SSRF rules here and again at delivery.
 */
import { ForbiddenError } from '../../errors.js';
import { flatLayout } from '../../events/resources/event-layout.js';
import { EVENT_SUBSCRIPTION_CATEGORY } from '../../events/event-subscription-events.js';
import { fieldColumn, standardColumns } from '../resource/read-model.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';

/** Makes signing secrets (runtime/webhooks/signing-secrets.ts): the plaintext, and it sealed for `id`. */
export interface SigningSecrets {
  create(subscriptionId: string): { readonly plain: string; readonly sealed: unknown };
}

/** Refuses a URL delivery may not call (the outbound guard). */
export interface UrlCheck {
  check(url: string): Promise<unknown>;
}

const NAMES: JSONSchema = {
  type: 'array',
  maxItems: 100,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 200 },
};

export const WATCH_ALL = 'sinas.webhooks.read:all';

export const eventSubscriptionKind: ResourceKind = {
  type: 'EventSubscription',
  label: 'event subscription',
  tag: 'Event subscription',
  category: EVENT_SUBSCRIPTION_CATEGORY,
  table: 'event_subscriptions',
  path: 'event-subscriptions',
  resource: 'webhooks',
  ownership: 'owner',
  addressing: 'id',
  fields: {
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    event_types: {
      ...NAMES,
      description: 'event types to deliver; empty or absent: every type',
      default: [],
    },
    categories: {
      ...NAMES,
      description: 'stream categories to deliver (`chat`, `execution`, ...); empty or absent: every category',
      default: [],
    },
    description: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }], default: null },
    active: { type: 'boolean', default: true },
    scope: {
      type: 'string',
      enum: ['own', 'all'],
      description: "'all' (every event) needs sinas.webhooks.read:all; default: 'all' for those who hold it",
    },
    secret: { type: 'object' },
  },
  requiredFields: ['url'],
  createOnlyFields: ['scope'],
  internalFields: ['secret'],
  namespacePattern: '^default$',
  namePattern: '^[0-9a-f-]{36}$',
  nameMaxLength: 36,
  lifecycleApi: false,
  updateMethods: ['patch'],
  events: flatLayout({ id: 'subscriptionId', renamed: { event_types: 'eventTypes' } }),
  readModel: {
    columns: [
      { name: 'id', sql: 'uuid PRIMARY KEY', from: 'id' },
      ...standardColumns('owner_id'),
      fieldColumn('url', 'text NOT NULL'),
      fieldColumn('event_types', 'jsonb NOT NULL'),
      fieldColumn('categories', 'jsonb NOT NULL'),
      fieldColumn('description', 'text'),
      fieldColumn('active', 'boolean NOT NULL'),
      fieldColumn('scope', "text NOT NULL CHECK (scope IN ('own', 'all'))"),
      fieldColumn('secret', 'jsonb NOT NULL'),
      ...standardColumns('version', 'created_position', 'created_at', 'updated_at'),
    ],
    indexes: { owner: 'owner_id' },
    order: 'created_at, id',
  },
};

/** The kind's hooks: a public URL, a scope the creator may have, a fresh sealed signing secret. */
export function eventSubscriptionHooks(secrets: SigningSecrets, urls: UrlCheck): ResourceServiceOptions {
  return {
    async checkSpec(spec) {
      if (typeof spec.url === 'string') await urls.check(spec.url);
    },
    prepare(spec, { id, by }) {
      const mayWatchAll = by?.holds(WATCH_ALL) ?? false;
      const scope = spec.scope ?? (mayWatchAll ? 'all' : 'own');
      if (scope === 'all' && !mayWatchAll)
        throw new ForbiddenError(`scope 'all' needs the permission ${WATCH_ALL}`, 'scope');
      const secret = secrets.create(id);
      return { spec: { scope, secret: secret.sealed }, reply: { secret: secret.plain } };
    },
  };
}
