/**
 * `spec.components` (reference §6.3): the Component kind's fields in camelCase; a store named by a
 * string is `{store, access: readwrite}`; the functions, queries and components it names must be in
 * the config or on the platform, and so must the agents it names by `ns/name` (§6.4, reported at
 * the list entry's path).
 */
import { componentKind } from '../../component/component-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { ConfigSection } from '../config-section.js';
import { checkSchemaFields, direct, resourceSection, type KindItems } from './resource-section.js';
import { checkReferenceList } from './references.js';

const FIELDS = Object.keys(componentKind.fields);
const REFERENCED = [
  ['enabledAgents', 'agents', 'agent'],
  ['enabledFunctions', 'functions', 'function'],
  ['enabledQueries', 'queries', 'query'],
  ['enabledComponents', 'components', 'component'],
] as const;

function normalise(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const item = { ...(raw as Record<string, unknown>) };
  if (Array.isArray(item.enabledStores))
    item.enabledStores = item.enabledStores.map((s) =>
      typeof s === 'string' ? { store: s, access: 'readwrite' } : s,
    );
  return item;
}

export function componentsSection(service: ResourceService, items: KindItems): ConfigSection {
  return resourceSection({
    name: 'components',
    resourceType: 'component',
    service,
    items,
    fields: FIELDS.map((f) => direct(componentKind, f)),
    required: ['sourceCode'],
    sets: ['enabledAgents', 'enabledFunctions', 'enabledQueries', 'enabledComponents'],
    normalise,
    async check(item, path, env) {
      checkSchemaFields(item, path, env, ['inputSchema']);
      for (const [field, section, label] of REFERENCED)
        await checkReferenceList(env, path, field, section, label, item[field]);
    },
  }) as ConfigSection;
}
