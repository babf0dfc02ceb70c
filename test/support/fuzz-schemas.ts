/**
 * Reading the OpenAPI document for the fuzzer: its operations, a valid-ish sample of a schema, the
 * fields of a body to vary one at a time, the JSON types a schema allows, and where a request
 * schema leaves a string or an integer unbounded.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;

export interface Operation {
  readonly method: string;
  /** the OpenAPI template: /chats/{chat_id} */
  readonly path: string;
  readonly pathParams: readonly { name: string; schema: Schema }[];
  readonly query: readonly { name: string; schema: Schema }[];
  /** the JSON body's schema, when the operation takes one */
  readonly body?: Schema;
  /** it also takes YAML text (application/yaml) */
  readonly yaml: boolean;
}

/** The operations of an OpenAPI 3.1 document as the platform writes it. */
export function operationsOf(doc: Schema): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Schema>)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema: Schema }[];
      const content = (op.requestBody?.content ?? {}) as Record<string, { schema?: Schema }>;
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        query: params.filter((p) => p.in === 'query'),
        ...(content['application/json']?.schema ? { body: content['application/json'].schema } : {}),
        yaml: Object.keys(content).some((m) => m.includes('yaml')),
      });
    }
  }
  return ops;
}

/** A value valid for `schema` as far as a simple reading of it goes (patterns aside), with overrides. */
export function sample(schema: Schema, overrides?: Record<string, unknown>): unknown {
  const v = sampleOf(schema, 0);
  return overrides && isObject(v) ? { ...v, ...overrides } : v;
}

function sampleOf(s: Schema, depth: number): unknown {
  if (depth > 6) return null;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.anyOf)) return sampleOf(s.anyOf[0], depth + 1);
  if (Array.isArray(s.oneOf)) return sampleOf(s.oneOf[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of (s.required ?? []) as string[]) out[k] = sampleOf(s.properties?.[k] ?? {}, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sampleOf(s.items ?? {}, depth + 1));
    case 'integer':
    case 'number':
      return Math.min(s.minimum ?? 1, s.maximum ?? 1);
    case 'boolean':
      return false;
    case 'string':
      return sampleString(s);
    default:
      return {};
  }
}

function sampleString(s: Schema): string {
  if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  if (s.format === 'date-time') return '2099-01-01T00:00:00Z';
  if (s.format === 'uri') return 'https://example.com/';
  const fits = (v: string) => !s.pattern || new RegExp(s.pattern).test(v);
  const candidates = ['fz', 'fz/fz', 'a@example.com', '123456', 'https://example.com/', 'default'];
  const v = candidates.find(fits) ?? 'fz';
  return v.padEnd(s.minLength ?? 0, 'z');
}

export interface Field {
  readonly path: readonly string[];
  readonly schema: Schema;
  readonly required: boolean;
}

/**
 * The body's fields: its properties, and (to three levels) the properties of those that are objects
 * in the base and the first item of those that are non-empty arrays there.
 */
export function fieldsOf(schema: Schema, base: unknown, path: readonly string[] = [], depth = 0): Field[] {
  const required = new Set<string>(schema.required ?? []);
  const out: Field[] = [];
  for (const [k, s] of Object.entries(propertiesOf(schema))) {
    const at = [...path, k];
    out.push({ path: at, schema: s, required: required.has(k) });
    const inner = isObject(base) ? base[k] : undefined;
    if (depth >= 2) continue;
    if (isObject(inner)) out.push(...fieldsOf(s, inner, at, depth + 1));
    const item = itemsOf(s);
    if (Array.isArray(inner) && inner.length > 0 && item) {
      out.push({ path: [...at, '0'], schema: item, required: false });
      if (isObject(inner[0])) out.push(...fieldsOf(item, inner[0], [...at, '0'], depth + 1));
    }
  }
  return out;
}

function itemsOf(s: Schema): Schema | undefined {
  if (s.items) return s.items;
  return (s.anyOf ?? s.oneOf ?? []).find((b: Schema) => b.items)?.items;
}

function propertiesOf(s: Schema): Record<string, Schema> {
  if (s.properties) return s.properties;
  const branch = (s.anyOf ?? s.oneOf ?? []).find((b: Schema) => b.properties);
  return branch?.properties ?? {};
}

/** The JSON types a schema allows (anyOf/oneOf branches joined); empty: anything. */
export function typesOf(s: Schema): Set<string> {
  const out = new Set<string>();
  const add = (x: Schema) => {
    if (typeof x.type === 'string') out.add(x.type);
    if (Array.isArray(x.type)) for (const t of x.type) out.add(t);
    if (x.const !== undefined) out.add(x.const === null ? 'null' : typeof x.const);
    if (Array.isArray(x.enum)) for (const e of x.enum) out.add(e === null ? 'null' : typeof e);
    for (const b of [...(x.anyOf ?? []), ...(x.oneOf ?? [])]) add(b);
  };
  add(s);
  if (out.has('integer')) out.add('number');
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Where a request schema lets a string or an integer grow without bound: a string needs a
 * maxLength (or an enum, a const, a uuid or date-time format), an integer a maximum. User-supplied
 * JSON (a schema without a type) is bounded by the body limit and the depth limit instead.
 */
export function unboundedIn(s: Schema, at: string): string[] {
  const out: string[] = [];
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const fixed = s.enum !== undefined || s.const !== undefined;
  if (
    types.includes('string') &&
    !fixed &&
    s.maxLength === undefined &&
    !['uuid', 'date-time'].includes(s.format)
  )
    out.push(`${at}: a string without maxLength`);
  if (types.includes('integer') && !fixed && s.maximum === undefined)
    out.push(`${at}: an integer without maximum`);
  for (const [k, p] of Object.entries((s.properties ?? {}) as Record<string, Schema>))
    out.push(...unboundedIn(p, `${at}.${k}`));
  if (s.items && typeof s.items === 'object') out.push(...unboundedIn(s.items, `${at}[]`));
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    out.push(...unboundedIn(s.additionalProperties, `${at}.*`));
  for (const b of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) out.push(...unboundedIn(b, at));
  return out;
}
