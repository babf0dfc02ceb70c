/**
 * The DatabaseConnection kind (reference §5.3) on the kit: a user database the platform reaches
 * through `DataSources`, managed by administrators only and addressed by name. Only PostgreSQL is
 * implemented, so `connection_type` accepts nothing else. The password is write-only: sealed under
 * the master keyring before it reaches a command (the kit's default sealer), so events and the read
 * model hold ciphertext only, and no response, list or config export ever shows it.
 */
import { ForbiddenError } from '../../errors.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** the name of the connection the platform keeps to its data database (`managed_by: system`) */
export const BUILT_IN_CONNECTION = 'built-in';
/** the actor the platform's own writes carry */
export const SYSTEM_ACTOR = 'system';

/** where a connection points: shared by the kind and the test-before-save route */
export const CONNECTION_TARGET: Readonly<Record<string, JSONSchema>> = {
  connection_type: {
    type: 'string',
    enum: ['postgresql'],
    description:
      'only PostgreSQL is implemented (clickhouse and snowflake are named by Sinas but not served)',
  },
  host: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_.:\\[\\]/-]+$' },
  port: { type: 'integer', minimum: 1, maximum: 65535, default: 5432 },
  database: { type: 'string', minLength: 1, maxLength: 63 },
  username: { type: 'string', minLength: 1, maxLength: 63 },
  password: { anyOf: [{ type: 'string', minLength: 1, maxLength: 1024 }, { type: 'null' }] },
  ssl_mode: { anyOf: [{ type: 'string', enum: [...SSL_MODES] }, { type: 'null' }] },
};

export const databaseConnectionKind: ResourceKind = {
  type: 'DatabaseConnection',
  label: 'database connection',
  tag: 'Database connection',
  category: 'dbconnection',
  table: 'database_connections',
  path: 'database-connections',
  resource: 'database_connections',
  adminOnly: true,
  namespaced: false,
  fields: {
    ...CONNECTION_TARGET,
    connection_type: { ...CONNECTION_TARGET.connection_type, default: 'postgresql' },
    ssl_mode: { ...CONNECTION_TARGET.ssl_mode, default: null },
    config: {
      type: 'object',
      properties: {
        min_pool_size: { type: 'integer', minimum: 0, maximum: 100, default: 2 },
        max_pool_size: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
      },
      default: { min_pool_size: 2, max_pool_size: 10 },
    },
    read_only: { type: 'boolean', default: false },
  },
  requiredFields: ['host', 'database', 'username'],
  namespacePattern: '^default$',
  namePattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$',
  nameMaxLength: 100,
  writeOnlyFields: ['password'],
  updateMethods: ['patch'],
};

/** The name `built-in` is the platform's: only it creates a connection of that name. */
export const databaseConnectionHooks: ResourceServiceOptions = {
  checkSpec(spec, { actor }) {
    if (spec.name === BUILT_IN_CONNECTION && actor !== SYSTEM_ACTOR)
      throw new ForbiddenError(`the name '${BUILT_IN_CONNECTION}' is kept by the platform`, 'name');
    return Promise.resolve();
  },
};
