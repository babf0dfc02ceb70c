/**
 * `spec.agents` (reference §6.3): the Agent kind's fields in camelCase, plus `llmProviderName` (the
 * provider by name; stored as its id). Shorthands are normalised as the reference does: a bare
 * function, query, component or skill name gets `default/`, a skill string becomes `{skill, preload: false}`,
 * a store string `{store, access: readwrite}`, a collection string `{collection, access: readonly}`.
 */
import { agentKind } from '../../agent/agent-kind.js';
import { llmProviderKind } from '../../llm-provider/llm-provider-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import { functionReferences } from '../../agent/agent-functions.js';
import { unrunKinds } from '../../agent/agent-unrun-kinds.js';
import type { ExecutePolicy } from '../../execution/execute-policy.js';
import type { ConfigIssue, PlannedChange, WriteEnv } from '../config-section.js';
import {
  checkSchemaFields,
  direct,
  resourceSection,
  type FieldMapping,
  type KindItems,
  type ResourceItem,
} from './resource-section.js';
import { checkReferenceList } from './references.js';

const FIELDS = [
  'description',
  'model',
  'temperature',
  'max_tokens',
  'system_prompt',
  'enabled_functions',
  'function_parameters',
  'status_templates',
  'enabled_agents',
  'enabled_skills',
  'enabled_stores',
  'enabled_queries',
  'query_parameters',
  'enabled_collections',
  'enabled_components',
  'enabled_connectors',
  'input_schema',
  'output_schema',
  'initial_messages',
  'hooks',
  'icon',
  'is_default',
  'default_job_timeout',
  'default_keep_alive',
  'system_tools',
  'message_policy',
] as const;

const qualify = (ref: unknown) => (typeof ref === 'string' && !ref.includes('/') ? `default/${ref}` : ref);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function normalise(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const a = { ...(raw as Record<string, unknown>) };
  const list = (k: string, f: (x: unknown) => unknown) => {
    if (Array.isArray(a[k])) a[k] = (a[k] as unknown[]).map(f);
  };
  const object = (field: string, extra: Record<string, unknown>) => (x: unknown) =>
    typeof x === 'string' ? { [field]: qualify(x), ...extra } : x;
  for (const k of ['enabledFunctions', 'enabledQueries', 'enabledComponents']) list(k, qualify);
  // a skill named in an object is qualified too: `{skill: tips}` is `default/tips`
  list('enabledSkills', (x) => {
    const o = object('skill', { preload: false })(x);
    return o !== null && typeof o === 'object'
      ? { ...o, skill: qualify((o as { skill?: unknown }).skill) }
      : o;
  });
  list('enabledStores', object('store', { access: 'readwrite' }));
  list('enabledCollections', object('collection', { access: 'readonly' }));
  return a;
}

/**
 * The functions a created agent, or an update that sets its tools or hooks, names: the applier must
 * be allowed to execute each. One the config creates will be the applier's own.
 */
async function deniedFunctions(
  policy: ExecutePolicy,
  change: PlannedChange,
  caller: WriteEnv['caller'],
): Promise<ConfigIssue[]> {
  const item = change.item as ResourceItem;
  const sets = (f: string) => change.action === 'create' || (change.changes ?? []).includes(f);
  const refs = functionReferences(
    { tools: sets('enabledFunctions') ? item.enabledFunctions : [], hooks: sets('hooks') ? item.hooks : {} },
    'enabledFunctions',
  );
  if (refs.length === 0) return [];
  const who = caller.isAdmin
    ? { userId: caller.userId, permissions: { 'sinas.*:all': true } }
    : await policy.runner(caller.userId);
  const denied: ConfigIssue[] = [];
  for (const { field, ref } of refs) {
    const [namespace, name] = ref.split('/', 2) as [string, string];
    const fn = (await policy.find(ref)) ?? { namespace, name, ownerId: caller.userId };
    if (!(await policy.allows(who, fn)))
      denied.push({ path: `${change.path}.${field}`, message: `may not execute function '${ref}'` });
  }
  return denied;
}

const camelCased = (field: string) => field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The item's keys as the agent kind spells them (`enabledStores` → `enabled_stores`). */
function snakeCased(item: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(item).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );
}

export function agentsSection(
  service: ResourceService,
  providers: ResourceService,
  items: KindItems,
  policy: ExecutePolicy,
) {
  const provider: FieldMapping = {
    yaml: 'llmProviderName',
    schema: { anyOf: [{ type: 'string', minLength: 1, maxLength: 100 }, { type: 'null' }] },
    fallback: null,
    read: async (spec) => {
      const id = spec.llm_provider_id;
      if (typeof id !== 'string') return null;
      return (await items(llmProviderKind)).find((p) => p.id === id)?.name ?? null;
    },
    write: async (name) => ({
      llm_provider_id: typeof name === 'string' ? (await providers.at('default', name)).id : null,
    }),
  };
  return resourceSection({
    name: 'agents',
    resourceType: 'agent',
    service,
    items,
    fields: [provider, ...FIELDS.map((f) => direct(agentKind, f))],
    sets: [
      'enabledFunctions',
      'enabledAgents',
      'enabledSkills',
      'enabledStores',
      'enabledQueries',
      'enabledCollections',
      'enabledComponents',
    ],
    normalise,
    authorize: (change, caller) => deniedFunctions(policy, change, caller),
    async check(item, path, env) {
      checkSchemaFields(item, path, env, ['inputSchema', 'outputSchema']);
      for (const f of unrunKinds(snakeCased(item))) env.error(`${path}.${camelCased(f.field)}`, f.message);
      const name = item.llmProviderName;
      if (typeof name === 'string' && !(await env.exists('llmProviders', name)))
        env.error(`${path}.llmProviderName`, `no LLM provider '${name}' in the config or on the platform`);
      for (const [i, ref] of ((item.enabledFunctions as string[] | undefined) ?? []).entries())
        if (!(await env.exists('functions', ref)))
          env.error(
            `${path}.enabledFunctions[${i}]`,
            `no function '${ref}' in the config or on the platform`,
          );
      // an agent named by a pattern (`support/*`) or by id is not a name to resolve
      await checkReferenceList(env, path, 'enabledAgents', 'agents', 'agent', item.enabledAgents, {
        skip: (ref) => ref.includes('*') || UUID.test(ref),
      });
      for (const [i, s] of (
        (item.enabledStores as ({ store: string } | string)[] | undefined) ?? []
      ).entries()) {
        const ref = typeof s === 'string' ? s : s.store;
        if (!(await env.exists('stores', ref)))
          env.error(`${path}.enabledStores[${i}]`, `no store '${ref}' in the config or on the platform`);
      }
      for (const [i, s] of (
        (item.enabledSkills as ({ skill: string } | string)[] | undefined) ?? []
      ).entries()) {
        const ref = typeof s === 'string' ? s : s.skill;
        if (!(await env.exists('skills', ref)))
          env.error(`${path}.enabledSkills[${i}]`, `no skill '${ref}' in the config or on the platform`);
      }
      const list = (field: string, section: string, label: string, pick?: (e: unknown) => unknown) =>
        checkReferenceList(env, path, field, section, label, item[field], pick ? { pick } : {});
      await list('enabledQueries', 'queries', 'query');
      await list('enabledCollections', 'collections', 'collection', (e) =>
        typeof e === 'object' && e !== null ? (e as { collection?: unknown }).collection : e,
      );
      await list('enabledComponents', 'components', 'component');
      const hooks = (item.hooks ?? {}) as Record<string, { function: string }[] | undefined>;
      for (const [when, list] of Object.entries(hooks))
        for (const [i, h] of (list ?? []).entries())
          if (!(await env.exists('functions', h.function)))
            env.error(
              `${path}.hooks.${when}[${i}].function`,
              `no function '${h.function}' in the config or on the platform`,
            );
    },
  });
}
