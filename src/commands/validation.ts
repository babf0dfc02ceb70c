/**
 * JSON Schema validation with ajv: one instance, compiled validators cached by schema object.
 * Failures become a ValidationError naming every offending field (as a dotted path).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ValidationError } from '../errors.js';

export type JSONSchema = Readonly<Record<string, unknown>>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false }));
ajv.addFormat('date-time', { type: 'string', validate: isInstant });
const cache = new WeakMap<object, ValidateFunction>();

export function compile(schema: JSONSchema): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)$/i;
const FIRST = Date.parse('0001-01-01T00:00:00Z');
const LAST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * `format: date-time`: an RFC 3339 time that names a real instant JavaScript and Postgres both hold
 * (years 0001 to 9999 in UTC; no leap second, no 30th of February), so `new Date(value)` is valid.
 */
function isInstant(s: string): boolean {
  if (!RFC3339.test(s)) return false;
  const t = Date.parse(s);
  if (!Number.isFinite(t) || t < FIRST || t > LAST) return false;
  // Date.parse rolls 2024-02-30 over to March: the date as written must survive the round trip
  const local = s.slice(0, 10);
  const offset = s.match(/([+-])(\d\d):?(\d\d)$/);
  const shift = offset
    ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000
    : 0;
  return new Date(t + shift).toISOString().slice(0, 10) === local;
}

/** Validates (and fills defaults into) `value`; throws ValidationError otherwise. */
export function validate<T>(schema: JSONSchema, value: unknown, prefix = ''): T {
  const v = compile(schema);
  if (v(value)) return value as T;
  const errors = (v.errors ?? []).map((e) => toFieldError(e, prefix));
  const first = errors[0]!;
  throw new ValidationError(`${first.field || 'body'}: ${first.message}`, first.field, errors);
}

/** Checks that `schema` is itself a valid JSON Schema (for user-supplied input/output schemas). */
export function checkSchema(schema: unknown, field: string): void {
  try {
    if (!ajv.validateSchema(schema as object)) throw new Error(ajv.errorsText(ajv.errors));
    new Ajv({ strict: false, logger: false }).compile(schema as object); // unknown formats (int64) are fine
  } catch (err) {
    throw new ValidationError(`${field}: not a valid JSON Schema (${(err as Error).message})`, field);
  }
}

function toFieldError(e: ErrorObject, prefix: string): { field: string; message: string } {
  const path = e.instancePath.split('/').filter(Boolean);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    path.push(String(params.additionalProperty));
    return { field: join(prefix, path), message: 'unknown field' };
  }
  if (e.keyword === 'required') path.push(String(params.missingProperty));
  return { field: join(prefix, path), message: e.message ?? 'is invalid' };
}

function join(prefix: string, path: string[]): string {
  return [prefix, ...path].filter(Boolean).join('.');
}
