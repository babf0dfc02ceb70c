/**
 * The `system` tool family: the system tools an agent's `system_tools` names (reference §2.3) —
 * `configIntrospection` and `codeExecution` here (`databaseIntrospection` is the `database` family).
 * An entry counts written as a plain string or as `{name: ...}`: the original honoured only the
 * string for config tools (a quirk fixed here).
 */
import { ValidationError } from '../../../errors.js';
import type { ToolTarget } from '../../../events/chat-events.js';
import type { ToolChat, ToolFamily, ToolRun } from '../tool-family.js';
import { EXECUTE_CODE, type CodeExecution } from './code-execution.js';
import { CONFIG_TOOLS, type ConfigIntrospection, type ConfigTool } from './config-introspection.js';

export interface SystemToolsParts {
  readonly configIntrospection: ConfigIntrospection;
  readonly codeExecution: CodeExecution;
}

/** The names an agent spec's `system_tools` enables, whichever way each entry is written. */
export function systemToolNames(spec: Readonly<Record<string, unknown>>): Set<string> {
  const entries = Array.isArray(spec.system_tools) ? (spec.system_tools as unknown[]) : [];
  const names = entries.map((e) =>
    typeof e === 'string' ? e : e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined,
  );
  return new Set(names.filter((n): n is string => typeof n === 'string'));
}

export function systemToolsFamily(parts: SystemToolsParts): ToolFamily {
  const enabled = (chat: ToolChat) => systemToolNames(chat.agentSpec);
  return {
    family: 'system',
    offer(chat) {
      const names = enabled(chat);
      return Promise.resolve([
        ...(names.has('configIntrospection') ? parts.configIntrospection.offer() : []),
        ...(names.has('codeExecution') ? parts.codeExecution.offer() : []),
      ]);
    },
    run(call: ToolRun, chat: ToolChat) {
      const tool = call.target.ref.tool;
      const names = enabled(chat);
      if (tool === EXECUTE_CODE && names.has('codeExecution'))
        return parts.codeExecution.run(call.arguments, chat, call.signal);
      if (isConfigTool(tool) && names.has('configIntrospection'))
        return parts.configIntrospection.run(tool, call.arguments, chat);
      // the agent no longer enables it (changed since the plan), or a name no family offers
      return Promise.reject(
        new ValidationError(`the agent does not enable the system tool '${tool}'`, 'tool'),
      );
    },
    /** reading the configuration changes nothing; code may have had effects */
    rerunnable: (target: ToolTarget) => target.ref.tool !== EXECUTE_CODE,
  };
}

const isConfigTool = (tool: string | undefined): tool is ConfigTool =>
  (CONFIG_TOOLS as readonly (string | undefined)[]).includes(tool);
