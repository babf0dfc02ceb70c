/** The request and response schemas of the database browser (reference §5.3), and its `filters` parser. */
import { ValidationError } from '../errors.js';
import { databaseConnectionKind } from '../commands/database-connection/database-connection-kind.js';
import type { JSONSchema } from '../commands/validation.js';
import { OPERATORS, type Filter } from '../runtime/data-sources/browser/rows.js';

export const NAME: JSONSchema = {
  type: 'string',
  pattern: databaseConnectionKind.namePattern,
  maxLength: databaseConnectionKind.nameMaxLength,
};
/** a Postgres identifier (quoted when used, so any text up to the server's limit) */
export const IDENT: JSONSchema = { type: 'string', minLength: 1, maxLength: 63 };
const ROW_OBJECT: JSONSchema = { type: 'object', maxProperties: 1600 };

export const SCHEMA_ROW: JSONSchema = { type: 'object', properties: { schema_name: { type: 'string' } } };
const NOTE = {
  display_name: { type: ['string', 'null'] },
  description: { type: ['string', 'null'] },
} as const;
export const TABLE_ROW: JSONSchema = {
  type: 'object',
  properties: {
    table_name: { type: 'string' },
    table_type: { type: 'string' },
    estimated_rows: { type: 'number' },
    size_bytes: { type: 'number' },
    ...NOTE,
  },
};
export const VIEW_ROW: JSONSchema = {
  type: 'object',
  properties: {
    view_name: { type: 'string' },
    definition: { type: 'string' },
    is_materialized: { type: 'boolean' },
  },
};
export const TABLE_DETAIL: JSONSchema = {
  type: 'object',
  properties: {
    table_name: { type: 'string' },
    schema_name: { type: 'string' },
    columns: { type: 'array', items: { type: 'object' } },
    constraints: { type: 'array', items: { type: 'object' } },
    indexes: {
      type: 'array',
      items: {
        type: 'object',
        properties: { index_name: { type: 'string' }, definition: { type: 'string' } },
      },
    },
    ...NOTE,
  },
};
export const DDL_RESULT: JSONSchema = { type: 'object' };

const COLUMN_DEF: JSONSchema = {
  type: 'object',
  properties: {
    name: IDENT,
    type: { type: 'string', minLength: 1, maxLength: 100 },
    nullable: { type: 'boolean', default: true },
    default: {
      anyOf: [{ type: 'string', maxLength: 1000 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }],
    },
    primary_key: { type: 'boolean', default: false },
  },
  required: ['name', 'type'],
  additionalProperties: false,
};
export const CREATE_TABLE: JSONSchema = {
  type: 'object',
  properties: {
    table_name: IDENT,
    schema_name: { ...IDENT, default: 'public' },
    columns: { type: 'array', items: COLUMN_DEF, minItems: 1, maxItems: 1600 },
    if_not_exists: { type: 'boolean', default: false },
  },
  required: ['table_name', 'columns'],
  additionalProperties: false,
};
export const ALTER_TABLE: JSONSchema = {
  type: 'object',
  properties: {
    schema_name: { ...IDENT, default: 'public' },
    add_columns: { type: 'array', items: COLUMN_DEF, maxItems: 1600 },
    drop_columns: { type: 'array', items: IDENT, maxItems: 1600 },
    rename_columns: { type: 'object', additionalProperties: IDENT, maxProperties: 1600 },
  },
  additionalProperties: false,
};
export const CREATE_VIEW: JSONSchema = {
  type: 'object',
  properties: {
    name: IDENT,
    schema_name: { ...IDENT, default: 'public' },
    sql: { type: 'string', minLength: 1, maxLength: 100_000 },
    or_replace: { type: 'boolean', default: false },
  },
  required: ['name', 'sql'],
  additionalProperties: false,
};

export const ROW_QUERY: Record<string, JSONSchema> = {
  schema: IDENT,
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
  sort_by: IDENT,
  sort_order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
  filters: {
    type: 'string',
    maxLength: 100_000,
    description: `a JSON array of {column, operator (${OPERATORS.join(', ')}), value}`,
  },
};
export const ROWS: JSONSchema = {
  type: 'object',
  properties: { rows: { type: 'array', items: { type: 'object' } }, total_count: { type: 'integer' } },
};
export const INSERT_ROWS: JSONSchema = {
  type: 'object',
  properties: { rows: { type: 'array', items: ROW_OBJECT, minItems: 1, maxItems: 1000 } },
  required: ['rows'],
  additionalProperties: false,
};
const WHERE: JSONSchema = {
  ...ROW_OBJECT,
  minProperties: 1,
  description: 'column equalities (null: IS NULL); at least one',
};
export const UPDATE_ROWS: JSONSchema = {
  type: 'object',
  properties: { where: WHERE, set_values: { ...ROW_OBJECT, minProperties: 1 } },
  required: ['where', 'set_values'],
  additionalProperties: false,
};
export const DELETE_ROWS: JSONSchema = {
  type: 'object',
  properties: { where: WHERE },
  required: ['where'],
  additionalProperties: false,
};
export const INSERTED: JSONSchema = {
  type: 'object',
  properties: { inserted: { type: 'array', items: { type: 'object' } }, count: { type: 'integer' } },
};
export const AFFECTED: JSONSchema = { type: 'object', properties: { affected_rows: { type: 'integer' } } };

export const ANNOTATION: JSONSchema = {
  type: 'object',
  properties: {
    schema_name: IDENT,
    table_name: IDENT,
    column_name: { anyOf: [IDENT, { type: 'null' }] },
    display_name: { anyOf: [{ type: 'string', maxLength: 255 }, { type: 'null' }] },
    description: { anyOf: [{ type: 'string', maxLength: 5000 }, { type: 'null' }] },
  },
  required: ['schema_name', 'table_name'],
  additionalProperties: false,
};
export const PUT_ANNOTATIONS: JSONSchema = {
  type: 'object',
  properties: { annotations: { type: 'array', items: ANNOTATION, maxItems: 1000 } },
  required: ['annotations'],
  additionalProperties: false,
};

const FILTER: JSONSchema = {
  type: 'object',
  properties: { column: IDENT, operator: { type: 'string', enum: [...OPERATORS] }, value: {} },
  required: ['column', 'operator'],
  additionalProperties: false,
};

/** `?filters=` as JSON: an array of filters, each checked (400 naming `filters` otherwise) */
export function parseFilters(raw: unknown): Filter[] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw));
  } catch {
    throw new ValidationError(
      'filters: not JSON (expected an array of {column, operator, value})',
      'filters',
    );
  }
  if (!Array.isArray(parsed) || parsed.length > 100)
    throw new ValidationError('filters: expected an array of at most 100 filters', 'filters');
  for (const f of parsed) validateFilter(f);
  return parsed as Filter[];
}

function validateFilter(f: unknown): void {
  const o = f as Record<string, unknown> | null;
  const ok =
    typeof o === 'object' &&
    o !== null &&
    !Array.isArray(o) &&
    typeof o.column === 'string' &&
    o.column.length > 0 &&
    (OPERATORS as readonly string[]).includes(o.operator as string) &&
    Object.keys(o).every((k) => k in (FILTER.properties as object));
  if (!ok)
    throw new ValidationError(
      `filters: each is {column, operator (${OPERATORS.join(', ')}), value}`,
      'filters',
    );
}
