/**
 * `spec.databaseTriggers` (reference §6.3): the DatabaseTrigger kind's fields in camelCase, with the
 * connection by name (`connectionName`, stored as its id) and the function as one `ns/name`
 * (`functionName`, a bare name meaning `default/`, stored as `function_namespace` and
 * `function_name`), so a config names the same connection and function on every install. Names
 * found neither in the config nor on the platform are reported at validation. Applied last: after
 * the connections and functions it names.
 */
import { databaseTriggerKind } from '../../database-trigger/database-trigger-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { ConfigSection } from '../config-section.js';
import { connectionNameField } from './connection-name-field.js';
import { qualifyRefs, refField } from './function-ref-field.js';
import { direct, resourceSection, type KindItems } from './resource-section.js';

const FIELDS = [
  'schema_name',
  'table_name',
  'operations',
  'poll_column',
  'poll_interval_seconds',
  'batch_size',
  'is_active',
];

export function databaseTriggersSection(
  service: ResourceService,
  connections: ResourceService,
  items: KindItems,
): ConfigSection {
  const connection = connectionNameField(connections, items);
  const fn = refField(databaseTriggerKind, {
    yaml: 'functionName',
    namespaceField: 'function_namespace',
    nameField: 'function_name',
  });
  return resourceSection({
    name: 'databaseTriggers',
    resourceType: 'databaseTrigger',
    service,
    items,
    fields: [connection, fn, ...FIELDS.map((f) => direct(databaseTriggerKind, f))],
    required: ['connectionName', 'tableName', 'functionName', 'pollColumn'],
    normalise: qualifyRefs(['functionName']),
    async check(item, path, env) {
      const name = item.connectionName;
      if (typeof name === 'string' && !(await env.exists('databaseConnections', name)))
        env.error(
          `${path}.connectionName`,
          `no database connection '${name}' in the config or on the platform`,
        );
      const ref = item.functionName;
      if (typeof ref === 'string' && !(await env.exists('functions', ref)))
        env.error(`${path}.functionName`, `no function '${ref}' in the config or on the platform`);
    },
  }) as ConfigSection;
}
