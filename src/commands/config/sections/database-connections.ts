/**
 * `spec.databaseConnections` (reference §6.3): name, connectionType, host, port, database,
 * username, password, sslMode, config (pool sizes), readOnly, and annotations of its tables and
 * columns (upserted after the connection is written: database-annotations.ts). The password is
 * write-only like an LLM provider's key: `${NAME}` substituted, compared with the stored one opened
 * in memory, never in a checksum or change list. Connections are never exported (reference §6.1),
 * so an export carries neither a host, a password nor annotations; a config that needs one names it.
 */
import { databaseConnectionKind } from '../../database-connection/database-connection-kind.js';
import type { DatabaseAnnotations } from '../../database-connection/annotations.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { JSONSchema } from '../../validation.js';
import type { ConfigSection, PlannedChange, WriteEnv } from '../config-section.js';
import {
  ANNOTATIONS_SCHEMA,
  checkAnnotations,
  current,
  toRecord,
  wanted,
  type YamlAnnotation,
} from './database-annotations.js';
import { direct, resourceSection, type KindItems, type ResourceItem } from './resource-section.js';

export function databaseConnectionsSection(
  service: ResourceService,
  items: KindItems,
  /** opens a stored (sealed) password; undefined when it cannot be opened */
  openPassword: (sealed: unknown) => string | undefined,
  annotations: DatabaseAnnotations,
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
    check: (item, path, env) => checkAnnotations(item.annotations, path, env),
  });
  const schema = section.schema as { properties: Record<string, JSONSchema> };
  const listOf = (item: ResourceItem) => wanted(item.annotations as YamlAnnotation[] | undefined);
  const idOf = async (item: ResourceItem) => {
    const { state } = await service.observe('default', String(item.name));
    if (state.status === 'absent') throw new Error(`database connection '${String(item.name)}' is gone`);
    return state.id;
  };
  return {
    ...section,
    schema: { ...section.schema, properties: { ...schema.properties, annotations: ANNOTATIONS_SCHEMA } },
    desired: (item: ResourceItem) => ({ ...section.desired(item), annotations: listOf(item) }),
    async observe(item: ResourceItem, env) {
      const obs = await section.observe(item, env);
      if (!obs.exists) return obs;
      const stored = await annotations.of(await idOf(item));
      return { ...obs, fields: { ...obs.fields, annotations: current(stored, listOf(item)) } };
    },
    async write(change: PlannedChange, env: WriteEnv) {
      const onlyAnnotations = change.action === 'update' && change.changes?.every((c) => c === 'annotations');
      const position = onlyAnnotations ? undefined : await section.write(change, env);
      const item = change.item as ResourceItem;
      const list = listOf(item);
      if (list.length === 0) return position;
      const id = await idOf(item);
      const record = toRecord(await annotations.of(id), list);
      if (record.length) await annotations.put(id, record, env.context(change).actor);
      return position;
    },
    exportAll: () => Promise.resolve([]),
  } as ConfigSection;
}
