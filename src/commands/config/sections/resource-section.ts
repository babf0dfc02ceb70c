/**
 * The config section of a resource kind (functions, agents, LLM providers, and any later kind): the
 * YAML item is the kind's own field schemas under camelCase names, so the config accepts exactly what
 * the management API accepts. Each field maps between its YAML value and the stored spec.
 */
import type { EventStore } from '../../../events/event-store.js';
import { upcast } from '../../../events/upcasters.js';
import type { ResourceQueries } from '../../../projections/resource-queries.js';
import { foldRecorded } from '../../command-handler.js';
import { resourceDecider } from '../../resource/decider.js';
import type { ResourceKind } from '../../resource/resource-kind.js';
import { createSchema } from '../../resource/resource-schemas.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { JSONSchema } from '../../validation.js';
import { canonicalJson } from '../checksum.js';
import { camel, type CheckEnv, type ConfigSection, type Observation } from '../config-section.js';
import { managedByOf } from '../ownership.js';

type Spec = Readonly<Record<string, unknown>>;

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
  /** whether the stored (sealed) value opens to `plain` */
  matches(stored: unknown, plain: string): boolean;
}

export interface ResourceItem {
  readonly namespace?: string;
  readonly name: string;
  readonly [field: string]: unknown;
}

export interface ResourceSectionOptions {
  readonly name: string;
  readonly resourceType: string;
  readonly service: ResourceService;
  readonly store: EventStore;
  readonly queries: ResourceQueries;
  readonly fields: readonly FieldMapping[];
  readonly writeOnly?: WriteOnlyMapping;
  /** YAML fields a create must set */
  readonly required?: readonly string[];
  readonly sets?: readonly string[];
  readonly substitute?: readonly string[];
  readonly normalise?: (raw: unknown) => unknown;
  readonly check?: (item: ResourceItem, path: string, env: CheckEnv) => Promise<void> | void;
  readonly authorize?: ConfigSection<ResourceItem>['authorize'];
}

export function resourceSection(o: ResourceSectionOptions): ConfigSection<ResourceItem> {
  const kind = o.service.kind;
  const namespaced = kind.namespaced !== false;
  const identity = (createSchema(kind) as { properties: Record<string, JSONSchema> }).properties;
  const schema: JSONSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['name', ...(o.required ?? [])],
    properties: {
      ...(namespaced ? { namespace: identity.namespace } : {}),
      name: identity.name,
      ...Object.fromEntries(o.fields.map((f) => [f.yaml, f.schema])),
      ...(o.writeOnly ? { [o.writeOnly.yaml]: o.writeOnly.schema } : {}),
    },
  };
  const ns = (item: ResourceItem) => item.namespace ?? 'default';
  const key = (item: ResourceItem) => (namespaced ? `${ns(item)}/${item.name}` : item.name);
  const fieldsOf = async (spec: Spec) => {
    const out: Record<string, unknown> = {};
    for (const f of o.fields) out[f.yaml] = (await f.read(spec)) ?? f.fallback;
    return out;
  };
  const allRows = async () => {
    const rows = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await o.queries.list(kind, { skip, limit: 1000 });
      rows.push(...page.rows);
      if (page.rows.length < 1000) return rows;
    }
  };
  const decider = resourceDecider(kind);

  return {
    name: o.name,
    resourceType: o.resourceType,
    schema,
    keyField: 'name',
    ...(o.sets ? { sets: o.sets } : {}),
    ...(o.substitute ? { substitute: o.substitute } : {}),
    ...(o.normalise ? { normalise: o.normalise } : {}),
    ...(o.check ? { check: o.check } : {}),
    ...(o.authorize ? { authorize: o.authorize } : {}),
    key,
    desired: (item) => Object.fromEntries(o.fields.map((f) => [f.yaml, item[f.yaml] ?? f.fallback])),
    existing: async () =>
      new Set((await allRows()).map((r) => (namespaced ? `${r.namespace}/${r.name}` : r.name))),
    async observe(item): Promise<Observation> {
      const stream = o.service.stream(ns(item), item.name);
      const events = (await o.store.readStream(stream)).map(upcast);
      const { state, revision } = foldRecorded(decider, events);
      const managedBy = managedByOf(events);
      const base = { stream, revision, ...(managedBy ? { managedBy } : {}) };
      if (state.status !== 'active') return { exists: false, ...base };
      const plain = o.writeOnly ? item[o.writeOnly.yaml] : undefined;
      return {
        exists: true,
        ...base,
        fields: await fieldsOf(state.spec),
        ...(typeof plain === 'string'
          ? { writeOnlyChanged: !o.writeOnly!.matches(state.spec[o.writeOnly!.field], plain) }
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
      const w = o.writeOnly;
      if (w && typeof item[w.yaml] === 'string' && (change.action === 'create' || obs.writeOnlyChanged))
        spec[w.field] = item[w.yaml];
      if (change.action === 'create') {
        const body = { ...(namespaced ? { namespace: ns(item) } : {}), name: item.name, ...spec };
        return (await o.service.create(body, ctx)).position;
      }
      return (await o.service.update(ns(item), item.name, spec, ctx)).position;
    },
    async exportAll() {
      const out: Record<string, unknown>[] = [];
      for (const r of await allRows()) {
        const fields = await fieldsOf(r.spec);
        const item: Record<string, unknown> = namespaced
          ? { namespace: r.namespace, name: r.name }
          : { name: r.name };
        for (const f of o.fields)
          if (canonicalJson(fields[f.yaml]) !== canonicalJson(f.fallback)) item[f.yaml] = fields[f.yaml];
        out.push(item);
      }
      return out;
    },
  };
}
