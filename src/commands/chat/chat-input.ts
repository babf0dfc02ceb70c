/**
 * A chat's `input`, checked against the agent's `input_schema` (reference §3.9): top-level values
 * are first coerced to their declared types, then the whole object is validated.
 */
import type { JSONSchema } from '../validation.js';
import { validate } from '../validation.js';

export function coerceAndValidateInput(
  schema: JSONSchema,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  const out: Record<string, unknown> = { ...input };
  for (const [key, value] of Object.entries(out)) {
    const type = props[key]?.type;
    if (typeof type === 'string') out[key] = coerce(type, value);
  }
  if (Object.keys(schema).length === 0) return out;
  return validate(schema, out, 'input');
}

function coerce(type: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  switch (type) {
    case 'integer':
    case 'number':
      return value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
    case 'boolean':
      return ['true', '1', 'yes'].includes(value.toLowerCase());
    case 'array':
    case 'object':
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    default:
      return value;
  }
}
