/**
 * `spec.queries` (reference §6.3): the Query kind's fields in camelCase, with the connection by
 * name (`connectionName`, stored as its id), so a config names the same connection on every
 * install. A name that is neither in the config nor on the platform is reported at validation.
 */
import type { ResourceService } from '../../resource/resource-service.js';
import { queryKind } from '../../query/query-kind.js';
import type { ConfigSection } from '../config-section.js';
import { connectionNameField } from './connection-name-field.js';
import { checkSchemaFields, direct, resourceSection, type KindItems } from './resource-section.js';

const FIELDS = ['description', 'operation', 'sql', 'input_schema', 'output_schema', 'timeout_ms', 'max_rows'];

export function queriesSection(
  service: ResourceService,
  connections: ResourceService,
  items: KindItems,
): ConfigSection {
  const connection = connectionNameField(connections, items);
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
