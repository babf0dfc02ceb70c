/**
 * `spec.webhooks` (reference §6.3): the Webhook kind's fields in camelCase, keyed by `path`, with
 * the function as one `functionName` (`ns/name`, a bare name meaning `default/`) and `dedup` as
 * `{key, ttlSeconds}`. A function found neither in the config nor on the platform is reported at
 * validation (§6.4). Applied after the functions and agents.
 */
import { dedupSchema, webhookKind } from '../../webhook/webhook-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { ConfigSection } from '../config-section.js';
import { qualifyRefs, refField } from './function-ref-field.js';
import { direct, resourceSection, type FieldMapping, type KindItems } from './resource-section.js';

const FIELDS = [
  'http_method',
  'description',
  'requires_auth',
  'default_values',
  'response_mode',
  'is_active',
];

/** `dedup: {key, ttlSeconds}` in YAML, `{key, ttl_seconds}` stored */
const dedup: FieldMapping = {
  yaml: 'dedup',
  schema: dedupSchema('ttlSeconds'),
  fallback: null,
  read: (spec) => {
    const d = spec.dedup as { key: string; ttl_seconds?: number } | null | undefined;
    return d ? { key: d.key, ttlSeconds: d.ttl_seconds ?? 300 } : null;
  },
  write: (value) => {
    const d = value as { key: string; ttlSeconds?: number } | null;
    return { dedup: d ? { key: d.key, ttl_seconds: d.ttlSeconds ?? 300 } : null };
  },
};

export function webhooksSection(service: ResourceService, items: KindItems): ConfigSection {
  const fn = refField(webhookKind, {
    yaml: 'functionName',
    namespaceField: 'function_namespace',
    nameField: 'function_name',
  });
  return resourceSection({
    name: 'webhooks',
    resourceType: 'webhook',
    service,
    items,
    fields: [fn, ...FIELDS.map((f) => direct(webhookKind, f)), dedup],
    required: ['functionName'],
    normalise: qualifyRefs(['functionName']),
    async check(item, path, env) {
      const ref = item.functionName;
      if (typeof ref === 'string' && !(await env.exists('functions', ref)))
        env.error(`${path}.functionName`, `no function '${ref}' in the config or on the platform`);
    },
  }) as ConfigSection;
}
