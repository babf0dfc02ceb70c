/**
 * The config section of a kind (functions, agents, LLM providers, secrets, and any later kind): the
 * YAML item is the kind's own field schemas under camelCase names, so the config accepts exactly what
 * the management API accepts. Each field maps between its YAML value and the stored spec. The
 * platform's items come through a port (`KindItems`), which the composition root serves from the
 * read models.
 */
import type { ResourceKind } from '../../resource/resource-kind.js';
import { keyFieldOf, labelOf, namespaceName } from '../../resource/resource-kind.js';
import { identitySchemas } from '../../resource/resource-schemas.js';
import type { ResourceService } from '../../resource/resource-service.js';
import { checkSchema, type JSONSchema } from '../../validation.js';
import { canonicalJson } from '../checksum.js';
import { camel, type CheckEnv, type ConfigSection, type Observation } from '../config-section.js';
import { managedByOf } from '../ownership.js';

export type Spec = Readonly<Record<string, unknown>>;

/** The platform's items of a kind (all of them, or those in one namespace), as its read model has them. */
export type KindItems = (
  kind: ResourceKind,
  namespace?: string,
) => Promise<
  readonly {
    readonly id: string;
    readonly namespace: string;
    readonly name: string;
    readonly spec: Spec;
  }[]
>;

/** One config field: its YAML name and schema, and how it reads from and writes to the stored spec. */
export interface FieldMapping {
  readonly yaml: string;
  readonly schema: JSONSchema;
  /** the value when neither the YAML nor the spec sets it */
  readonly fallback: unknown;
  read(spec: Spec): unknown | Promise<unknown>;
  write(value: unknown, current: Spec | undefined): Promise<Spec> | Spec;
}

/** A field stored under its own (snake_case) name, shown in YAML in camelCase. */
export function direct(kind: ResourceKind, field: string, yaml = camel(field)): FieldMapping {
  const schema = kind.fields[field];
  if (!schema) throw new Error(`${kind.type} has no field ${field}`);
  return {
    yaml,
    schema,
    fallback: schema.default ?? null,
    read: (spec) => spec[field],
    write: (value) => ({ [field]: value }),
  };
}

/** A write-only field (an API key): compared in plaintext with the stored sealed value, never hashed. */
export interface WriteOnlyMapping {
  readonly yaml: string;
  readonly field: string;
  readonly schema: JSONSchema;
  /** whether the stored (sealed) value of item `id` opens to `plain` */
  matches(stored: unknown, plain: string, id: string): boolean | Promise<boolean>;
  /** a create must set it */
  readonly requiredOnCreate?: boolean;
  /** the plain value for an export that includes secrets; absent: never exported */
  reveal?(stored: unknown): string | undefined;
}

/** Reports each YAML field holding a JSON Schema that is not a valid one. */
export function checkSchemaFields(
  item: ResourceItem,
  path: string,
  env: CheckEnv,
  fields: readonly string[],
): void {
  for (const field of fields) {
    try {
      checkSchema(item[field], field);
    } catch (err) {
      env.error(`${path}.${field}`, (err as Error).message.replace(/^\w+: /, ''));
    }
  }
}

/** A YAML item; its name is under the kind's key field (`name`; a webhook's `path`). */
export interface ResourceItem {
  readonly namespace?: string;
  readonly [field: string]: unknown;
}

export interface ResourceSectionOptions {
  readonly name: string;
  readonly resourceType: string;
  readonly service: ResourceService;
  readonly items: KindItems;
  readonly fields: readonly FieldMapping[];
  readonly writeOnly?: WriteOnlyMapping;
  /** the one namespace the config manages, not written in YAML (secrets: `shared`) */
  readonly namespace?: string;
  /** YAML fields a create must set */
  readonly required?: readonly string[];
  readonly sets?: readonly string[];
  readonly substitute?: readonly string[];
  readonly normalise?: (raw: unknown) => unknown;
  readonly check?: (item: ResourceItem, path: string, env: CheckEnv) => Promise<void> | void;
  readonly authorize?: ConfigSection<ResourceItem>['authorize'];
}

/** `ns/name` → [ns, name] (a name holds no `/`) */
function splitKey(key: string): [string, string] {
  const at = key.lastIndexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}

export function resourceSection(o: ResourceSectionOptions): ConfigSection<ResourceItem> {
  const kind = o.service.kind;
  const nsName = namespaceName(kind);
  const inYaml = nsName === 'namespace' && o.namespace === undefined;
  const identity = identitySchemas(kind);
  const keyField = keyFieldOf(kind);
  const nameOf = (item: ResourceItem) => item[keyField] as string;
  const w = o.writeOnly;
  const schema: JSONSchema = {
    type: 'object',
    additionalProperties: false,
    required: [keyField, ...(o.required ?? [])],
    properties: {
      ...(inYaml ? { namespace: identity.namespace } : {}),
      [keyField]: identity[keyField]!,
      ...Object.fromEntries(o.fields.map((f) => [f.yaml, f.schema])),
      ...(w ? { [w.yaml]: w.schema } : {}),
    },
  };
  const ns = (item: ResourceItem) => o.namespace ?? item.namespace ?? 'default';
  const key = (item: ResourceItem) => (inYaml ? `${ns(item)}/${nameOf(item)}` : nameOf(item));
  const fieldsOf = async (spec: Spec) => {
    const out: Record<string, unknown> = {};
    for (const f of o.fields) out[f.yaml] = (await f.read(spec)) ?? f.fallback;
    return out;
  };
  const allItems = () => o.items(kind, o.namespace);

  return {
    name: o.name,
    resourceType: o.resourceType,
    schema,
    keyField,
    ...(o.sets ? { sets: o.sets } : {}),
    ...(o.substitute ? { substitute: o.substitute } : {}),
    ...(o.normalise ? { normalise: o.normalise } : {}),
    ...(o.check ? { check: o.check } : {}),
    ...(o.authorize ? { authorize: o.authorize } : {}),
    ...(w?.requiredOnCreate
      ? {
          planIssues: (item: ResourceItem, obs: Observation) =>
            !obs.exists && item[w.yaml] === undefined
              ? `${w.yaml}: a new ${labelOf(kind)} needs a ${w.yaml}`
              : undefined,
        }
      : {}),
    key,
    desired: (item) => Object.fromEntries(o.fields.map((f) => [f.yaml, item[f.yaml] ?? f.fallback])),
    existing: async () =>
      new Set((await allItems()).map((r) => (inYaml ? `${r.namespace}/${r.name}` : r.name))),
    async observe(item): Promise<Observation> {
      const stream = o.service.stream(ns(item), nameOf(item));
      const { events, state, revision } = await o.service.observe(ns(item), nameOf(item));
      const managedBy = managedByOf(events);
      const base = { stream, revision, ...(managedBy ? { managedBy } : {}) };
      if (state.status !== 'active') return { exists: false, ...base };
      const plain = w ? item[w.yaml] : undefined;
      return {
        exists: true,
        ...base,
        fields: await fieldsOf(state.spec),
        ...(typeof plain === 'string'
          ? { writeOnlyChanged: !(await w!.matches(state.spec[w!.field], plain, state.id)) }
          : {}),
        spec: state.spec,
      } as Observation;
    },
    async write(change, env) {
      const item = change.item as ResourceItem;
      const obs = change.observation as Observation & { spec?: Spec };
      const ctx = { ...env.context(change), expectedRevision: obs.revision ?? -1n };
      const desired = change.action === 'create' ? o.fields.map((f) => f.yaml) : (change.changes ?? []);
      const spec: Record<string, unknown> = {};
      for (const f of o.fields)
        if (desired.includes(f.yaml))
          Object.assign(spec, await f.write(item[f.yaml] ?? f.fallback, obs.spec ?? spec));
      if (w && typeof item[w.yaml] === 'string' && (change.action === 'create' || obs.writeOnlyChanged))
        spec[w.field] = item[w.yaml];
      if (change.action === 'create') {
        const body = { ...(nsName ? { [nsName]: ns(item) } : {}), [keyField]: nameOf(item), ...spec };
        return (await o.service.create(body, ctx)).position;
      }
      return (await o.service.update(ns(item), nameOf(item), spec, ctx)).position;
    },
    async remove(itemKey, manager, context) {
      const [namespace, name] = inYaml ? splitKey(itemKey) : [o.namespace ?? 'default', itemKey];
      const { events, state, revision } = await o.service.observe(namespace, name);
      if (state.status !== 'active') return { outcome: 'kept', why: 'absent' };
      if (managedByOf(events) !== manager) return { outcome: 'kept', why: 'not-managed' };
      const ctx = { ...context, expectedRevision: revision ?? -1n };
      return { outcome: 'removed', position: (await o.service.remove(namespace, name, ctx)).position };
    },
    async exportAll(e) {
      const out: Record<string, unknown>[] = [];
      for (const r of await allItems()) {
        const fields = await fieldsOf(r.spec);
        const item: Record<string, unknown> = inYaml
          ? { namespace: r.namespace, [keyField]: r.name }
          : { [keyField]: r.name };
        for (const f of o.fields)
          if (canonicalJson(fields[f.yaml]) !== canonicalJson(f.fallback)) item[f.yaml] = fields[f.yaml];
        const revealed = e?.includeSecrets && r.spec[w?.field ?? ''] != null && w?.reveal?.(r.spec[w.field]);
        if (revealed) item[w!.yaml] = revealed;
        out.push(item);
      }
      return out;
    },
  };
}
