/**
 * The `databaseIntrospection` system tools as a ToolFamily (family `database`): offered when the
 * agent's `system_tools` has `{name: "databaseIntrospection", connections: [...]}`, they list a
 * connection's tables and describe one, in read-only transactions only (they change nothing, so a
 * call a crashed worker started simply runs again). A connection not in the agent's list is refused
 * with an error result naming the ones it may use, as is one that is missing or unreachable.
 */
import { isConnectionError } from '../../dependency-errors.js';
import { SinasError, ValidationError } from '../../errors.js';
import type { ToolChat, ToolFamily, ToolOutcome, ToolRun, OfferedTool } from '../turns/tool-family.js';
import type { Annotation } from '../../events/database-annotation-events.js';
import * as catalog from './browser/catalog.js';
import type { DataSources } from './data-sources.js';

export const DATABASE_FAMILY = 'database';
const LIST = 'sinas_db_list_tables';
const DESCRIBE = 'sinas_db_describe_table';
/** each call's statement timeout */
const TIMEOUT_MS = 10_000;

/** the connections the agent's spec lets its chats introspect; undefined: the tools are not enabled */
export function introspectableConnections(spec: Readonly<Record<string, unknown>>): string[] | undefined {
  const tools = Array.isArray(spec.system_tools) ? (spec.system_tools as unknown[]) : [];
  const entry = tools.find(
    (t): t is { name: string; connections?: unknown } =>
      typeof t === 'object' && t !== null && (t as { name?: unknown }).name === 'databaseIntrospection',
  );
  if (!entry) return undefined;
  return Array.isArray(entry.connections)
    ? entry.connections.filter((c): c is string => typeof c === 'string')
    : [];
}

function offered(connections: readonly string[]): OfferedTool[] {
  const connectionName = {
    type: 'string',
    enum: [...connections],
    description: 'the database connection to look at',
  };
  const schema = { type: 'string', description: "the schema (default 'public')", maxLength: 63 };
  const tool = (
    name: string,
    description: string,
    properties: Record<string, unknown>,
    required: string[],
  ) => ({
    tool: {
      type: 'function' as const,
      function: { name, description, parameters: { type: 'object', properties, required } },
    },
    target: { family: DATABASE_FAMILY, ref: { tool: name } },
    status: { key: `system:${name}`, fallback: name === LIST ? 'Listing tables' : 'Describing a table' },
  });
  return [
    tool(
      LIST,
      'List the tables of a database schema, with estimated row counts',
      { connectionName, schema },
      ['connectionName'],
    ),
    tool(
      DESCRIBE,
      'Describe one table: its columns (type, nullability, default, primary key), constraints and indexes',
      { table: { type: 'string', maxLength: 63 }, connectionName, schema },
      ['table', 'connectionName'],
    ),
  ];
}

/** a connection's annotations (display names, descriptions): DatabaseAnnotations */
export interface AnnotationReader {
  of(connectionId: string): Promise<readonly Annotation[]>;
}

/**
 * The family on `dataSources`; with `annotations`, tables and columns carry their display names
 * and descriptions, which tell the model what the data means.
 */
export function databaseIntrospectionFamily(
  dataSources: DataSources,
  annotations?: AnnotationReader,
): ToolFamily {
  return {
    family: DATABASE_FAMILY,
    offer(chat: ToolChat) {
      const connections = introspectableConnections(chat.agentSpec);
      return Promise.resolve(connections === undefined ? [] : offered(connections));
    },
    async run(call: ToolRun, chat: ToolChat): Promise<ToolOutcome> {
      const allowed = introspectableConnections(chat.agentSpec) ?? [];
      const a = call.arguments as { connectionName?: unknown; schema?: unknown; table?: unknown };
      const name = typeof a.connectionName === 'string' ? a.connectionName : '';
      if (!allowed.includes(name))
        return refuse(
          `connection '${name}' is not available to this agent; it may use: ${allowed.join(', ') || 'none'}`,
        );
      const schema = typeof a.schema === 'string' && a.schema ? a.schema : 'public';
      const tool = call.target.ref.tool;
      try {
        const source = await dataSources.byName(name);
        const note = noted((await annotations?.of(source.id)) ?? [], schema);
        const result = await source.run({ readOnly: true, timeoutMs: TIMEOUT_MS }, async (c) => {
          if (tool === LIST)
            return { schema, tables: (await catalog.tables(c, schema)).map((t) => note(t, t.table_name)) };
          if (tool !== DESCRIBE) throw new ValidationError(`no database tool '${tool}'`, 'tool');
          const table = a.table;
          if (typeof table !== 'string' || !table) throw new ValidationError('table is required', 'table');
          const columns = await catalog.columns(c, schema, table);
          return note(
            {
              schema,
              table,
              columns: columns.map((col) => note(col, table, col.column_name)),
              constraints: await catalog.constraints(c, schema, table),
              indexes: await catalog.indexes(c, schema, table),
            },
            table,
          );
        });
        return { status: 'ok', result, detail: { connection: name, schema } };
      } catch (err) {
        // the platform's own database failing (finding the connection) is an outage: the job retries
        if (!(err instanceof SinasError) && isConnectionError(err)) throw err;
        return refuse((err as Error).message, name);
      }
    },
    rerunnable: () => true,
  };
}

/** adds an item's annotation (when it has one) to what the tool returns */
function noted(list: readonly Annotation[], schema: string) {
  return <T extends object>(item: T, table: string, column?: string): T => {
    const a = list.find(
      (x) => x.schema_name === schema && x.table_name === table && (x.column_name ?? undefined) === column,
    );
    if (!a) return item;
    return { ...item, display_name: a.display_name ?? null, description: a.description ?? null };
  };
}

function refuse(error: string, connection?: string): ToolOutcome {
  return { status: 'error', result: { error }, ...(connection ? { detail: { connection } } : {}) };
}
