/**
 * `spec.databaseConnections` (reference §6.3): name, connectionType, host, port, database,
 * username, password, sslMode, config (pool sizes), readOnly. The password is write-only like an
 * LLM provider's key: `${NAME}` substituted, compared with the stored one opened in memory, never in
 * a checksum or change list. Connections are never exported (reference §6.1), so an export carries
 * neither a host nor a password; a config that needs one names it itself.
 */
import { databaseConnectionKind } from '../../database-connection/database-connection-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { ConfigSection } from '../config-section.js';
import { direct, resourceSection, type KindItems } from './resource-section.js';

export function databaseConnectionsSection(
  service: ResourceService,
  items: KindItems,
  /** opens a stored (sealed) password; undefined when it cannot be opened */
  openPassword: (sealed: unknown) => string | undefined,
): ConfigSection {
  const fields = Object.keys(databaseConnectionKind.fields).filter((f) => f !== 'password');
  const section = resourceSection({
    name: 'databaseConnections',
    resourceType: 'databaseConnection',
    service,
    items,
    fields: fields.map((f) => direct(databaseConnectionKind, f)),
    required: ['host', 'database', 'username'],
    writeOnly: {
      yaml: 'password',
      field: 'password',
      schema: { type: 'string', minLength: 1, maxLength: 1024 },
      matches: (stored, plain) => stored != null && openPassword(stored) === plain,
    },
    substitute: ['password'],
  });
  return { ...section, exportAll: () => Promise.resolve([]) } as ConfigSection;
}
