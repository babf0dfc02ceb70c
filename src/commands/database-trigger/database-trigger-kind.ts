/**
 * The DatabaseTrigger kind (reference §5.13, "database triggers (CDC)") on the kit: a table of a
 * database connection polled by `poll_column`, each new batch of rows handed to a function. It is
 * administrator-only, like the connections it reads through (a trigger reads whole rows of a table,
 * which only `sinas.database_connections` holders may). Its save checks what would otherwise only
 * fail at poll time: the connection exists and the function exists and may be run by its author.
 * Where polling stands (`last_poll_value`, `error_message`) is not a field a request sets: it is
 * the trigger's poll stream's (trigger-poll-decider.ts), shown beside the fields.
 */
import { ValidationError } from '../../errors.js';
import type { ExecutePolicy } from '../execution/execute-policy.js';
import type { ConnectionExists } from '../query/query-kind.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';

/** a SQL identifier as written unquoted (it is quoted when used) */
const IDENTIFIER: JSONSchema = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_$]*$', maxLength: 63 };
const FUNCTION_PART = '^[a-zA-Z_][a-zA-Z0-9_]*$';
export const TRIGGER_OPERATIONS = ['INSERT', 'UPDATE'] as const;

export const databaseTriggerKind: ResourceKind = {
  type: 'DatabaseTrigger',
  label: 'database trigger',
  tag: 'Database trigger',
  category: 'dbtrigger',
  table: 'database_triggers',
  path: 'database-triggers',
  resource: 'database_triggers',
  adminOnly: true,
  namespaced: false,
  lifecycleApi: false,
  fields: {
    database_connection_id: { type: 'string', format: 'uuid' },
    schema_name: { ...IDENTIFIER, default: 'public' },
    table_name: IDENTIFIER,
    operations: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: [...TRIGGER_OPERATIONS] },
      default: [...TRIGGER_OPERATIONS],
      description:
        'which changes the poll column shows: an INSERT-only trigger polls an insert sequence, with UPDATE an updated-at column',
    },
    function_namespace: { type: 'string', pattern: FUNCTION_PART, maxLength: 255 },
    function_name: { type: 'string', pattern: FUNCTION_PART, maxLength: 255 },
    poll_column: {
      ...IDENTIFIER,
      description: 'a column whose value grows with every change (a serial id, an updated-at timestamp)',
    },
    poll_interval_seconds: { type: 'integer', minimum: 1, maximum: 3600, default: 10 },
    batch_size: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
    is_active: { type: 'boolean', default: true },
  },
  requiredFields: [
    'database_connection_id',
    'table_name',
    'function_namespace',
    'function_name',
    'poll_column',
  ],
  namespacePattern: '^default$',
  namePattern: '^[a-zA-Z][a-zA-Z0-9_-]*$',
  nameMaxLength: 255,
  updateMethods: ['patch'],
};

/** The connection must exist; the function must exist and its author be allowed to run it. */
export function databaseTriggerHooks(
  connectionExists: ConnectionExists,
  policy: Pick<ExecutePolicy, 'checkReference'>,
): ResourceServiceOptions {
  return {
    checkSpec: async (spec, { actor }) => {
      const id = spec.database_connection_id;
      if (typeof id === 'string' && !(await connectionExists(id)))
        throw new ValidationError(
          `database_connection_id: no database connection '${id}'`,
          'database_connection_id',
        );
      const ns = spec.function_namespace;
      const name = spec.function_name;
      if (ns === undefined && name === undefined) return;
      if (typeof ns !== 'string' || typeof name !== 'string')
        throw new ValidationError(
          'function_namespace and function_name are set together',
          ns === undefined ? 'function_namespace' : 'function_name',
        );
      await policy.checkReference({ userId: actor }, `${ns}/${name}`, 'function_name');
    },
  };
}
