/**
 * OpenAPI 3.0/3.1 documents (JSON or YAML) as connector operations, by every conversion rule of
 * reference §5.2. Parsing and `$ref` resolution are @apidevtools/swagger-parser's (local references
 * only: an import never reads a file or URL the document names); a reference cycle becomes a
 * placeholder object. An operation that does not make a valid operation is skipped with a warning.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse as parseYaml } from 'yaml';
import { OPERATION_SCHEMA } from '../../commands/connector/connector-kind.js';
import { validate } from '../../commands/validation.js';
import { ValidationError } from '../../errors.js';
import type { ConnectorOperation } from './connector-spec.js';

export interface ParsedSpec {
  readonly operations: ConnectorOperation[];
  readonly warnings: string[];
  readonly spec_title: string | null;
  readonly spec_description: string | null;
  readonly spec_base_url: string | null;
}

type Obj = Record<string, unknown>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const KEPT = [
  'type',
  'properties',
  'items',
  'required',
  'enum',
  'description',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'oneOf',
  'anyOf',
  'allOf',
] as const;
const CIRCULAR: Obj = { type: 'object', description: '(circular reference)' };

/** The document's text as an object; 2.x and non-OpenAPI documents refused (400 naming `field`). */
export function readDocument(text: string, field: string): Obj {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 1000 }) as unknown; // YAML 1.2 reads JSON too
  } catch (err) {
    throw new ValidationError(`the spec is neither JSON nor YAML: ${(err as Error).message}`, field);
  }
  if (!isObj(doc)) throw new ValidationError('the spec is not an OpenAPI document', field);
  if (typeof doc.swagger === 'string' || (typeof doc.openapi === 'string' && !doc.openapi.startsWith('3.')))
    throw new ValidationError('only OpenAPI 3.x documents are accepted (this is an older version)', field);
  if (typeof doc.openapi !== 'string') throw new ValidationError('the spec has no `openapi` version', field);
  return doc;
}

export async function convertDocument(
  doc: Obj,
  specUrl: URL | undefined,
  field: string,
): Promise<ParsedSpec> {
  let api: Obj;
  try {
    api = (await SwaggerParser.dereference(doc as never, {
      resolve: { external: false },
      dereference: { circular: true },
    })) as unknown as Obj;
  } catch (err) {
    throw new ValidationError(`the spec could not be resolved: ${(err as Error).message}`, field);
  }
  const info = isObj(api.info) ? api.info : {};
  const warnings: string[] = [];
  const operations: ConnectorOperation[] = [];
  for (const [path, item] of Object.entries(isObj(api.paths) ? api.paths : {})) {
    if (!isObj(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const converted = convertOperation(path, method, op, item, warnings);
      if (converted && operations.some((o) => o.name === converted.name))
        warnings.push(`${method.toUpperCase()} ${path}: skipped (the name '${converted.name}' is taken)`);
      else if (converted) operations.push(converted);
    }
  }
  return {
    operations,
    warnings,
    spec_title: typeof info.title === 'string' ? info.title : null,
    spec_description: typeof info.description === 'string' ? info.description : null,
    spec_base_url: baseUrlOf(api, specUrl),
  };
}

function baseUrlOf(api: Obj, specUrl: URL | undefined): string | null {
  const first = Array.isArray(api.servers) ? (api.servers[0] as unknown) : undefined;
  if (isObj(first) && typeof first.url === 'string') return first.url;
  return specUrl ? `${specUrl.protocol}//${specUrl.host}` : null;
}

function convertOperation(path: string, method: string, op: Obj, item: Obj, warnings: string[]) {
  const params = [...listOf(item.parameters), ...listOf(op.parameters)].filter(isObj);
  const properties: Obj = {};
  const required = new Set<string>();
  let pathParams = 0;
  let queryParams = 0;
  for (const p of params) {
    if (typeof p.name !== 'string' || !['path', 'query', 'header'].includes(p.in as string)) continue;
    if (p.in === 'path') pathParams++;
    if (p.in === 'query') queryParams++;
    const schema = clean(isObj(p.schema) ? p.schema : { type: 'string' }, new Set());
    if (typeof p.description === 'string') schema.description = p.description.slice(0, 200);
    properties[p.name] = schema;
    if (p.required === true || p.in === 'path') required.add(p.name);
  }
  const body = jsonBodyOf(op);
  if (body) {
    const props = isObj(body.properties) ? body.properties : {};
    for (const [k, v] of Object.entries(props)) if (isObj(v)) properties[k] = clean(v, new Set([body]));
    for (const r of listOf(body.required)) if (typeof r === 'string') required.add(r);
  }
  const writes = body !== undefined || isObj(op.requestBody) || ['post', 'put', 'patch'].includes(method);
  const mapping = writes
    ? pathParams > 0
      ? 'path_and_json'
      : 'json'
    : queryParams > 0
      ? pathParams > 0
        ? 'path_and_query'
        : 'query'
      : 'json';
  const METHOD = method.toUpperCase();
  const candidate = {
    name: nameOf(op, method, path),
    method: METHOD,
    path: path.replace(/\{([^}]+)\}/g, '{{ $1 }}'),
    description: (str(op.summary) || str(op.description) || `${METHOD} ${path}`).slice(0, 500),
    parameters: {
      type: 'object',
      properties,
      ...(required.size > 0 ? { required: [...required].filter((r) => r in properties) } : {}),
    },
    request_body_mapping: mapping,
    response_mapping: 'json',
  };
  try {
    return validate<ConnectorOperation>(OPERATION_SCHEMA, candidate);
  } catch (err) {
    warnings.push(`${METHOD} ${path}: skipped (${(err as Error).message})`);
    return undefined;
  }
}

/** the operationId in snake_case, else `{method}_{path}` with `{x}` as `by_x` */
export function nameOf(op: Obj, method: string, path: string): string {
  const snake = (s: string) =>
    s
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/_+/g, '_')
      .toLowerCase();
  if (typeof op.operationId === 'string' && op.operationId.trim())
    return snake(op.operationId).replace(/^_|_$/g, '');
  const p = path.replace(/\{([^}]+)\}/g, 'by_$1');
  return snake(`${method}_${p}`).replace(/_$/, '');
}

function jsonBodyOf(op: Obj): Obj | undefined {
  const rb = op.requestBody;
  if (!isObj(rb) || !isObj(rb.content)) return undefined;
  const content = rb.content;
  const key = Object.keys(content).find((k) => /^application\/([\w.+-]+\+)?json/.test(k));
  const media = key ? content[key] : undefined;
  return isObj(media) && isObj(media.schema) ? media.schema : undefined;
}

/** the schema with only the kept keywords, recursively; a schema met again on its own path is a cycle */
function clean(schema: Obj, onPath: Set<object>): Obj {
  if (onPath.has(schema)) return { ...CIRCULAR };
  const path = new Set(onPath).add(schema);
  const out: Obj = {};
  for (const k of KEPT) {
    const v = schema[k];
    if (v === undefined) continue;
    if (k === 'properties' && isObj(v))
      out[k] = Object.fromEntries(
        Object.entries(v)
          .filter(([, s]) => isObj(s))
          .map(([n, s]) => [n, clean(s as Obj, path)]),
      );
    else if (k === 'items' && isObj(v)) out[k] = clean(v, path);
    else if ((k === 'oneOf' || k === 'anyOf' || k === 'allOf') && Array.isArray(v))
      out[k] = v.filter(isObj).map((s) => clean(s, path));
    else out[k] = v;
  }
  // 3.1: `type: [x, 'null']`; 3.0: `nullable` is left out with the other keywords
  return out;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/**
 * Merges imported operations into a connector's (§5.2): an operation of the same name is replaced
 * where it stands, new ones are appended, the others (hand-written) are kept.
 */
export function mergeOperations(
  existing: readonly ConnectorOperation[],
  imported: readonly ConnectorOperation[],
): ConnectorOperation[] {
  const byName = new Map(imported.map((o) => [o.name, o]));
  const merged = existing.map((o) => byName.get(o.name) ?? o);
  const kept = new Set(existing.map((o) => o.name));
  return [...merged, ...imported.filter((o) => !kept.has(o.name))];
}
