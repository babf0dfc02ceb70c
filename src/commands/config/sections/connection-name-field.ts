/**
 * A config field naming a database connection by name (`connectionName`), stored as the
 * connection's id (`database_connection_id`): queries and database triggers name their connection
 * this way, so a config names the same connection on every install.
 */
import type { ResourceKind } from '../../resource/resource-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { FieldMapping, KindItems } from './resource-section.js';

export function connectionNameField(connections: ResourceService, items: KindItems): FieldMapping {
  const connectionKind: ResourceKind = connections.kind;
  return {
    yaml: 'connectionName',
    schema: { type: 'string', minLength: 1, maxLength: 100 },
    fallback: null,
    read: async (spec) =>
      (await items(connectionKind)).find((c) => c.id === spec.database_connection_id)?.name ?? null,
    write: async (name) => ({ database_connection_id: (await connections.at('default', name as string)).id }),
  };
}
