/**
 * The `packageManagement` system tools (reference §2.3): validate, preview, list and export run at
 * once; install and uninstall only after a human approves the call (the turn's approval flow, as for
 * a function with `requires_approval`). Every call runs with the chat user's own permissions: the
 * ones the package routes need (`sinas.packages.install|read|delete:all`). Reading and previewing
 * change nothing and may run again after a crash; an install or uninstall is not run twice.
 * The YAML comes as `yaml` or from a collection file the user may read (`file_path`: package-source.ts).
 */
import { ForbiddenError } from '../../../errors.js';
import type { ToolTarget } from '../../../events/chat-events.js';
import type { ConfigSection } from '../../../commands/config/config-section.js';
import { hasPermission, type PermissionMap } from '../../../commands/identity/permissions.js';
import type { Caller } from '../../../commands/config/config-service.js';
import { exportPackage } from '../../../commands/package/package-export.js';
import type { PackageService } from '../../../commands/package/package-service.js';
import type { PackageQueries } from '../../../projections/package-queries.js';
import type { LlmTool } from '../../llm/llm.js';
import type { ToolChat, ToolFamily, ToolOutcome, ToolRun } from '../tool-family.js';
import { packageSource, type SourceReader } from './package-source.js';
import { systemToolNames } from './system-family.js';

export const PACKAGE_FAMILY = 'packages';
export const PACKAGE_TOOLS = [
  'sinas_package_validate',
  'sinas_package_preview',
  'sinas_package_install',
  'sinas_package_uninstall',
  'sinas_package_list',
  'sinas_package_export',
] as const;
export type PackageTool = (typeof PACKAGE_TOOLS)[number];
const NEEDS_APPROVAL: ReadonlySet<string> = new Set(['sinas_package_install', 'sinas_package_uninstall']);

export interface PackageManagementPorts extends SourceReader {
  readonly packages: PackageService;
  readonly queries: PackageQueries;
  readonly sections: () => readonly ConfigSection[];
  /** the chat's user's permissions, from their roles */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

/** The permission each tool needs of the chat's user (the route's). */
const PERMISSION: Record<PackageTool, string> = {
  sinas_package_validate: 'sinas.packages.install:all',
  sinas_package_preview: 'sinas.packages.install:all',
  sinas_package_install: 'sinas.packages.install:all',
  sinas_package_uninstall: 'sinas.packages.delete:all',
  sinas_package_list: 'sinas.packages.read:all',
  sinas_package_export: 'sinas.packages.read:all',
};

export function packageManagementFamily(p: PackageManagementPorts): ToolFamily {
  const tools = toolDefinitions();
  return {
    family: PACKAGE_FAMILY,
    offer(chat) {
      if (!systemToolNames(chat.agentSpec).has('packageManagement')) return Promise.resolve([]);
      return Promise.resolve(
        tools.map((tool) => ({
          tool,
          target: { family: PACKAGE_FAMILY, ref: { tool: tool.function.name } },
          requiresApproval: NEEDS_APPROVAL.has(tool.function.name),
          status: { key: `system:${tool.function.name}`, fallback: 'Managing packages' },
        })),
      );
    },
    async run(call: ToolRun, chat: ToolChat) {
      const tool = call.target.ref.tool as PackageTool;
      if (!PACKAGE_TOOLS.includes(tool) || !systemToolNames(chat.agentSpec).has('packageManagement'))
        return error(`the agent does not enable the system tool '${String(tool)}'`);
      const permissions = await p.permissionsOf(chat.userId);
      if (!hasPermission(permissions, PERMISSION[tool]))
        throw new ForbiddenError(`${tool} needs ${PERMISSION[tool]}`);
      const caller = { userId: chat.userId, isAdmin: hasPermission(permissions, 'sinas.*:all') };
      return runTool(p, tool, call.arguments, { ...caller, permissions });
    },
    rerunnable: (target: ToolTarget) => !NEEDS_APPROVAL.has(String(target.ref.tool)),
  };
}

async function runTool(
  p: PackageManagementPorts,
  tool: PackageTool,
  args: Readonly<Record<string, unknown>>,
  caller: Caller & { readonly permissions: PermissionMap },
): Promise<ToolOutcome> {
  switch (tool) {
    case 'sinas_package_validate': {
      const source = await packageSource(p, args, caller);
      if ('error' in source) return error(source.error);
      return ok(await p.packages.validate(source.yaml));
    }
    case 'sinas_package_preview':
    case 'sinas_package_install': {
      const got = await packageSource(p, args, caller);
      if ('error' in got) return error(got.error);
      const source = got.yaml;
      const r =
        tool === 'sinas_package_preview'
          ? await p.packages.preview(source, caller)
          : await p.packages.install(source, caller);
      const { position: _p, ...apply } = r.apply;
      return {
        status: r.apply.success ? 'ok' : 'error',
        result: { package: r.package, apply, removed: r.removed },
      };
    }
    case 'sinas_package_uninstall': {
      const name = nameOf(args);
      if (typeof name !== 'string') return name;
      const r = await p.packages.uninstall(name, caller);
      return ok({ uninstalled: name, removed: r.removed });
    }
    case 'sinas_package_list':
      return ok({
        packages: (await p.queries.list()).map((r) => ({
          name: r.name,
          version: r.version,
          description: r.description,
          resources: r.resources.length,
        })),
      });
    case 'sinas_package_export': {
      const name = nameOf(args);
      if (typeof name !== 'string') return name;
      const r = await p.queries.get(name);
      if (!r) return error(`package '${name}' is not installed`);
      const meta = {
        name: r.name,
        version: r.version,
        ...(r.description ? { description: r.description } : {}),
      };
      return ok({ yaml: await exportPackage(p.sections(), meta, r.resources) });
    }
    default: {
      const unreachable: never = tool;
      return error(`unknown tool ${String(unreachable)}`);
    }
  }
}

function nameOf(args: Readonly<Record<string, unknown>>): string | ToolOutcome {
  return typeof args.package_name === 'string' && args.package_name !== ''
    ? args.package_name
    : error('package_name: required');
}

const ok = (result: unknown): ToolOutcome => ({ status: 'ok', result });
const error = (message: string): ToolOutcome => ({ status: 'error', result: { error: message } });

function toolDefinitions(): LlmTool[] {
  const source = {
    type: 'object',
    properties: {
      file_path: {
        type: 'string',
        description:
          "Path to the YAML file in a collection: 'namespace/collection/filename'. Preferred over inline yaml.",
      },
      yaml: { type: 'string', description: 'Inline SinasPackage YAML, when it is not saved in a file.' },
    },
  };
  const byName = {
    type: 'object',
    properties: { package_name: { type: 'string', description: 'The installed package name.' } },
    required: ['package_name'],
  };
  const fn = (name: PackageTool, description: string, parameters: Record<string, unknown>): LlmTool => ({
    type: 'function',
    function: { name, description, parameters },
  });
  return [
    fn('sinas_package_validate', 'Check a SinasPackage YAML document without installing it.', source),
    fn(
      'sinas_package_preview',
      'Show what installing a SinasPackage would create, update and delete. Changes nothing.',
      source,
    ),
    fn(
      'sinas_package_install',
      'Install or upgrade a SinasPackage. A person must approve the call before it runs.',
      source,
    ),
    fn(
      'sinas_package_uninstall',
      'Uninstall a package and delete the resources it manages. A person must approve the call first.',
      byName,
    ),
    fn('sinas_package_list', 'List the installed packages.', { type: 'object', properties: {} }),
    fn('sinas_package_export', 'Get an installed package as SinasPackage YAML.', byName),
  ];
}
