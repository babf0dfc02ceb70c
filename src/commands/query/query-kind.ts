/**
 * The Query kind (reference §5.4): a saved SQL statement with `:name` placeholders, run on one
 * database connection as a read or a write. Its save checks what would otherwise only fail at
 * run time: the connection must exist (400 naming `database_connection_id`) and the SQL must bind
 * (400 naming `sql`: an unclosed string or comment, or its own `$n` parameters).
 */
import { NotFoundError, ValidationError } from '../../errors.js';
import { bindSql } from './sql-binding.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';

const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });
const NAME = '^[a-zA-Z][a-zA-Z0-9_-]*$';
/** the longest a statement may run, and the most rows a result may hold */
export const MAX_TIMEOUT_MS = 300_000;
export const MAX_ROWS = 100_000;

export const queryKind: ResourceKind = {
  type: 'Query',
  category: 'query',
  table: 'queries',
  path: 'queries',
  resource: 'queries',
  fields: {
    description: nullable({ type: 'string', maxLength: 10_000 }),
    database_connection_id: { type: 'string', format: 'uuid' },
    operation: { type: 'string', enum: ['read', 'write'] },
    sql: { type: 'string', minLength: 1, maxLength: 100_000 },
    input_schema: { type: 'object', default: {} },
    output_schema: { type: 'object', default: {} },
    timeout_ms: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS, default: 5000 },
    max_rows: { type: 'integer', minimum: 1, maximum: MAX_ROWS, default: 1000 },
  },
  requiredFields: ['database_connection_id', 'operation', 'sql'],
  namespacePattern: NAME,
  namePattern: NAME,
  nameMaxLength: 255,
};

export const QUERY_SCHEMA_FIELDS = ['input_schema', 'output_schema'] as const;

/** Whether a database connection exists (the DataSources port, or the connections' read model). */
export type ConnectionExists = (id: string) => Promise<boolean>;

/** The kind's hooks: its schema fields are JSON Schemas; its connection must exist and its SQL bind. */
export function queryHooks(connectionExists: ConnectionExists): ResourceServiceOptions {
  return {
    schemaFields: QUERY_SCHEMA_FIELDS,
    checkSpec: async (spec) => {
      if (typeof spec.sql === 'string') bindSql(spec.sql);
      const id = spec.database_connection_id;
      if (typeof id === 'string' && !(await connectionExists(id)))
        throw new ValidationError(
          `database_connection_id: no database connection '${id}'`,
          'database_connection_id',
        );
    },
  };
}

/** `connectionExists` on a lookup that throws NotFoundError for a missing connection. */
export const existsBy =
  (byId: (id: string) => Promise<unknown>): ConnectionExists =>
  (id) =>
    byId(id).then(
      () => true,
      (err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err)),
    );
