/**
 * The `configIntrospection` system tools (reference §2.3): `sinas_config_inspect` (how many items of
 * each kind), `sinas_config_list` (names and descriptions of one kind) and `sinas_config_get` (one
 * item in full), each showing only what the chat's user may read (config-reader.ts). The types are
 * the registered kinds' names (kinds.ts), so a kind added to the kit is inspectable without a change
 * here. Reading changes nothing: a call interrupted by a crash simply runs again.
 */
import type { PermissionMap } from '../../../commands/identity/permissions.js';
import type { ResourceKind } from '../../../commands/resource/resource-kind.js';
import type { ResourceQueries } from '../../../projections/resource-queries.js';
import type { LlmTool } from '../../llm/llm.js';
import type { OfferedTool, ToolChat, ToolOutcome } from '../tool-family.js';
import { ConfigReader } from './config-reader.js';

/** A kind by the name tools call it (its registered name: `agents`, `secrets`, ...). */
export interface NamedKind {
  readonly name: string;
  readonly kind: ResourceKind;
}

export interface ConfigIntrospectionPorts {
  readonly kinds: readonly NamedKind[];
  readonly queries: ResourceQueries;
  /** the chat's user's permissions, from their roles */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

/** the most items `sinas_config_list` returns (the original's cap) */
export const LIST_LIMIT = 200;

export const CONFIG_TOOLS = ['sinas_config_inspect', 'sinas_config_list', 'sinas_config_get'] as const;
export type ConfigTool = (typeof CONFIG_TOOLS)[number];

export interface ConfigIntrospection {
  offer(): readonly OfferedTool[];
  run(tool: ConfigTool, args: Readonly<Record<string, unknown>>, chat: ToolChat): Promise<ToolOutcome>;
}

export function configIntrospection(p: ConfigIntrospectionPorts): ConfigIntrospection {
  const reader = new ConfigReader(p.queries);
  const types = p.kinds.map((k) => k.name);
  const tools = toolDefinitions(types);
  const kindOf = (type: unknown) => p.kinds.find((k) => k.name === type)?.kind;
  const invalidType = (type: unknown) =>
    error(`type: unknown resource type '${String(type)}' (one of ${types.join(', ')})`);
  return {
    offer: () =>
      tools.map((tool) => ({
        tool,
        target: { family: 'system', ref: { tool: tool.function.name } },
        status: { key: `system:${tool.function.name}`, fallback: 'Reading the configuration' },
      })),
    async run(tool, args, chat) {
      const r = { userId: chat.userId, permissions: await p.permissionsOf(chat.userId) };
      switch (tool) {
        case 'sinas_config_inspect': {
          const counts: Record<string, number> = {};
          for (const k of p.kinds) {
            const n = await reader.count(k.kind, r);
            if (n > 0) counts[k.name] = n;
          }
          const total = Object.values(counts).reduce((a, b) => a + b, 0);
          return ok({ resource_counts: counts, total });
        }
        case 'sinas_config_list': {
          const kind = kindOf(args.type);
          if (!kind) return invalidType(args.type);
          const ns = typeof args.namespace === 'string' && args.namespace !== '' ? args.namespace : undefined;
          const items = (await reader.list(kind, r, ns, LIST_LIMIT)).map(summary);
          return ok({ type: args.type, items, count: items.length });
        }
        case 'sinas_config_get': {
          const kind = kindOf(args.type);
          if (!kind) return invalidType(args.type);
          const { namespace, name } = args;
          if (typeof name !== 'string' || name === '') return error('name: required');
          const ns = typeof namespace === 'string' && namespace !== '' ? namespace : 'default';
          const data = await reader.get(kind, r, ns, name);
          if (!data) return error(`${String(args.type)} '${ns}/${name}' not found`);
          return ok({ type: args.type, namespace: ns, name, data });
        }
        default: {
          const unreachable: never = tool;
          return error(`unknown tool ${String(unreachable)}`);
        }
      }
    },
  };
}

const ok = (result: unknown): ToolOutcome => ({ status: 'ok', result });
const error = (message: string): ToolOutcome => ({ status: 'error', result: { error: message } });

/** What a list shows of an item: who it is and what it is for, not its whole configuration. */
function summary(item: Record<string, unknown>): Record<string, unknown> {
  const keep = ['id', 'namespace', 'visibility', 'name', 'path', 'description', 'version', 'is_active'];
  return Object.fromEntries(keep.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));
}

function toolDefinitions(types: readonly string[]): LlmTool[] {
  const type = { type: 'string', description: 'Resource type.', enum: [...types] };
  const fn = (name: string, description: string, parameters: Record<string, unknown>): LlmTool => ({
    type: 'function',
    function: { name, description, parameters },
  });
  return [
    fn(
      'sinas_config_inspect',
      'Get an overview of the Sinas configuration you can read: how many items of each resource type ' +
        'exist. Start here before listing a type.',
      { type: 'object', properties: {} },
    ),
    fn(
      'sinas_config_list',
      'List the resources of one type you can read: namespace, name and description of each, not the ' +
        'full configuration (use sinas_config_get for one item).',
      {
        type: 'object',
        properties: { type, namespace: { type: 'string', description: 'Optional: only this namespace.' } },
        required: ['type'],
      },
    ),
    fn(
      'sinas_config_get',
      'Get the full configuration of one resource (system prompt, code, schemas, ...). Write-only ' +
        'values such as secret values are never shown. Use sinas_config_list first to find it.',
      {
        type: 'object',
        properties: {
          type,
          namespace: {
            type: 'string',
            description:
              "Resource namespace ('private' or 'shared' for secrets; 'default' when it has none).",
          },
          name: { type: 'string', description: 'Resource name (the id for resources addressed by id).' },
        },
        required: ['type', 'namespace', 'name'],
      },
    ),
  ];
}
