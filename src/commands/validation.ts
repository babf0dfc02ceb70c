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
const cache = new WeakMap<object, ValidateFunction>();

export function compile(schema: JSONSchema): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
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
    new Ajv({ strict: false }).compile(schema as object);
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
