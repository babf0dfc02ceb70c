/**
 * Collections as an agent's tools (reference §4.1, §5.8): for each collection in the agent's
 * `enabled_collections`, `search_collection_…` and `get_file_…`, plus `write_file_…`,
 * `edit_file_…` and `delete_file_…` when its access is `readwrite`. Each offered tool carries its
 * collection and operation in its target (a name → collection map: names are never parsed back,
 * so `a_b`+`c` and `a`+`b_c` cannot be confused; a second collection whose tool names clash with
 * an earlier one's is left out). At each call the chat user needs the collection's `download:own`
 * (reads) or `upload:own` (writes), and a write needs the agent's `readwrite` access still.
 * Reads re-run after a crash; writes do not.
 */
import { itemPermission, hasPermission, type PermissionMap } from '../../commands/identity/permissions.js';
import { ForbiddenError, NotFoundError, SinasError } from '../../errors.js';
import type { ToolTarget } from '../../events/chat-events.js';
import { validate } from '../../commands/validation.js';
import type { OfferedTool, ToolChat, ToolFamily, ToolOutcome, ToolRun } from '../turns/tool-family.js';
import type { FileService } from './file-service.js';
import {
  FALLBACK,
  fileLlmTool,
  fileToolName,
  READ_TOOLS,
  WRITE_TOOLS,
  type FileTool,
} from './file-tool-specs.js';
import {
  deleteTool,
  editTool,
  getTool,
  searchTool,
  writeTool,
  type FileToolPorts,
} from './file-tool-runs.js';
import type { FileUrls } from './file-urls.js';

export const FILE_FAMILY = 'collection';

export interface FileFamilyDeps {
  readonly files: FileService;
  readonly urls: FileUrls;
  /** the chat user's permissions, read at each call */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

interface Enabled {
  readonly collection: string;
  readonly access?: 'readonly' | 'readwrite';
}

const enabledOf = (chat: ToolChat) => (chat.agentSpec.enabled_collections ?? []) as Enabled[];

export function fileFamily(d: FileFamilyDeps): ToolFamily {
  return {
    family: FILE_FAMILY,
    offer: (chat) => offer(d, chat),
    run: (call, chat) => run(d, call, chat),
    rerunnable: (target: ToolTarget) => READ_TOOLS.includes(target.ref.tool as FileTool),
  };
}

async function offer(d: FileFamilyDeps, chat: ToolChat): Promise<OfferedTool[]> {
  const out: OfferedTool[] = [];
  const names = new Set<string>();
  for (const e of enabledOf(chat)) {
    const [namespace, name] = e.collection.split('/', 2) as [string, string];
    const exists = await d.files
      .collection(namespace, name)
      .then(() => true)
      .catch((err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err)));
    const tools = [...READ_TOOLS, ...(e.access === 'readwrite' ? WRITE_TOOLS : [])];
    if (!exists || tools.some((t) => names.has(fileToolName(t, namespace, name)))) continue;
    for (const tool of tools) {
      names.add(fileToolName(tool, namespace, name));
      out.push({
        tool: fileLlmTool(tool, namespace, name),
        target: { family: FILE_FAMILY, ref: { namespace, name, tool } },
        status: { key: `collection:${namespace}/${name}`, fallback: FALLBACK[tool] },
      });
    }
  }
  return out;
}

async function run(d: FileFamilyDeps, call: ToolRun, chat: ToolChat): Promise<ToolOutcome> {
  const { namespace, name, tool } = call.target.ref as { namespace: string; name: string; tool: FileTool };
  try {
    const enabled = enabledOf(chat).find((e) => e.collection === `${namespace}/${name}`);
    const writes = WRITE_TOOLS.includes(tool);
    if (!enabled) return failed(`collection '${namespace}/${name}' is not enabled for this agent`);
    if (writes && enabled.access !== 'readwrite')
      return failed(`collection '${namespace}/${name}' is read-only for this agent`);
    const action = writes ? (tool === 'delete' ? 'delete_files' : 'upload') : 'download';
    const permissions = await d.permissionsOf(chat.userId);
    const ref = { namespaced: true as const, namespace, name };
    if (
      !hasPermission(permissions, itemPermission('collections', ref, writes ? 'upload' : 'download', 'own'))
    )
      throw new ForbiddenError(
        `the chat's user may not ${writes ? 'upload to' : 'download from'} ${namespace}/${name}`,
      );
    const who = {
      userId: chat.userId,
      all: hasPermission(permissions, itemPermission('collections', ref, action, 'all')),
    };
    const rules = await d.files.collection(namespace, name);
    const args = validate<Record<string, unknown>>(fileLlmTool(tool, namespace, name).function.parameters, {
      ...call.arguments,
    });
    const ports: FileToolPorts = { files: d.files, urls: d.urls };
    return { status: 'ok', result: await OPS[tool](ports, rules, args, who) };
  } catch (err) {
    // a refusal is recorded as forbidden; an outage or a bug is not the call's failure
    if (err instanceof SinasError && err.code !== 'forbidden') return failed(err.message);
    throw err;
  }
}

const OPS = {
  search: searchTool,
  get: getTool,
  write: writeTool,
  edit: editTool,
  delete: deleteTool,
} as const;

const failed = (message: string): ToolOutcome => ({ status: 'error', result: { error: message } });
