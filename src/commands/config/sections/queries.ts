/**
 * `spec.queries` (reference §6.3): the Query kind's fields in camelCase, with the connection by
 * name (`connectionName`, stored as its id), so a config names the same connection on every
 * install. A name that is neither in the config nor on the platform is reported at validation.
 */
import type { ResourceKind } from '../../resource/resource-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import { queryKind } from '../../query/query-kind.js';
import type { ConfigSection } from '../config-section.js';
import {
  checkSchemaFields,
  direct,
  resourceSection,
  type FieldMapping,
  type KindItems,
} from './resource-section.js';

const FIELDS = ['description', 'operation', 'sql', 'input_schema', 'output_schema', 'timeout_ms', 'max_rows'];

export function queriesSection(
  service: ResourceService,
  connections: ResourceService,
  items: KindItems,
): ConfigSection {
  const connectionKind: ResourceKind = connections.kind;
  const connection: FieldMapping = {
    yaml: 'connectionName',
    schema: { type: 'string', minLength: 1, maxLength: 100 },
    fallback: null,
    read: async (spec) =>
      (await items(connectionKind)).find((c) => c.id === spec.database_connection_id)?.name ?? null,
    write: async (name) => ({ database_connection_id: (await connections.at('default', name as string)).id }),
  };
  return resourceSection({
    name: 'queries',
    resourceType: 'query',
    service,
    items,
    fields: [connection, ...FIELDS.map((f) => direct(queryKind, f))],
    required: ['connectionName', 'operation', 'sql'],
    async check(item, path, env) {
      checkSchemaFields(item, path, env, ['inputSchema', 'outputSchema']);
      const name = item.connectionName;
      if (typeof name === 'string' && !(await env.exists('databaseConnections', name)))
        env.error(
          `${path}.connectionName`,
          `no database connection '${name}' in the config or on the platform`,
        );
    },
  }) as ConfigSection;
}
