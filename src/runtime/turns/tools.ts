/**
 * The function tools an agent offers the model (reference §4.1, §4.3, §4.2): one tool per enabled
 * function, named `{ns}__{name}`, its schema adjusted by `function_parameters` (locked values
 * hidden, overridable ones shown as defaults); a call's arguments merged with those values (locked
 * wins); status text from `status_templates`; results serialised and truncated for the model.
 */
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { NotFoundError } from '../../errors.js';
import type { ToolCallPlan } from '../../events/chat-events.js';
import type { LlmTool, LlmToolCall } from '../llm/llm.js';
import { renderStatus, statusOf } from './status-text.js';
import type { OfferedTool, ToolFamily } from './tool-family.js';
import { renderTemplate } from './templates.js';

export const RESULT_LIMIT = 10_000;
const TRUNCATED = '\n\n[... result truncated]';

interface Params {
  readonly locked: Record<string, unknown>;
  readonly overridable: Record<string, unknown>;
}

export interface FunctionTool {
  readonly tool: LlmTool;
  readonly namespace: string;
  readonly name: string;
  readonly requiresApproval: boolean;
  readonly params: Params;
}

/** A tool a family offered this round, with the family that runs it. */
export interface FamilyTool {
  readonly family: ToolFamily;
  readonly offered: OfferedTool;
}

export interface ToolSet {
  readonly tools: readonly LlmTool[];
  readonly byName: ReadonlyMap<string, FunctionTool>;
  /** the tools of families (connectors, queries, system tools), run inline by the turn */
  readonly families?: ReadonlyMap<string, FamilyTool>;
  readonly statusTemplates: Readonly<Record<string, string>>;
  /** executions of this chat paused at input(): offered to the model through `continue_execution` */
  readonly paused?: readonly string[];
}

export const CONTINUE_EXECUTION = 'continue_execution';

/** The set plus `continue_execution` when the chat has paused executions (reference §4.1). */
export function withPaused(set: ToolSet, paused: readonly string[]): ToolSet {
  if (paused.length === 0) return set;
  const tool: LlmTool = {
    type: 'function',
    function: {
      name: CONTINUE_EXECUTION,
      description:
        "Answer the input() a paused function of this chat is waiting for, and resume it. Returns the function's result, or its next question.",
      parameters: {
        type: 'object',
        required: ['execution_id', 'input'],
        properties: {
          execution_id: { type: 'string', enum: [...paused] },
          input: { description: 'the value the paused input() call returns' },
        },
      },
    },
  };
  return { ...set, tools: [...set.tools, tool], paused };
}

export const toolName = (namespace: string, name: string) => `${namespace}__${name}`;

/** Builds the tool list from the agent's `enabled_functions` (missing or deleted functions are left out). */
export async function functionTools(
  agentSpec: Readonly<Record<string, unknown>>,
  input: Readonly<Record<string, unknown>>,
  functions: ResourceService,
): Promise<ToolSet> {
  const refs = (agentSpec.enabled_functions ?? []) as string[];
  const paramMap = (agentSpec.function_parameters ?? {}) as Record<string, Record<string, unknown>>;
  const byName = new Map<string, FunctionTool>();
  for (const ref of refs) {
    const [namespace, name] = ref.split('/', 2) as [string, string];
    const fn = await functions
      .current(namespace, name)
      .catch((e) => (e instanceof NotFoundError ? undefined : Promise.reject(e)));
    if (!fn || fn.status !== 'active') continue;
    const params = renderParams(paramMap[ref] ?? {}, input);
    const schema = adjustSchema(
      (fn.spec.input_schema ?? { type: 'object' }) as Record<string, unknown>,
      params,
    );
    const tname = toolName(namespace, name);
    byName.set(tname, {
      tool: {
        type: 'function',
        function: {
          name: tname,
          description: (fn.spec.description as string | null) || `Execute ${namespace}/${name}`,
          parameters: schema,
        },
      },
      namespace,
      name,
      requiresApproval: fn.spec.requires_approval === true,
      params,
    });
  }
  return {
    tools: [...byName.values()].map((t) => t.tool),
    byName,
    statusTemplates: (agentSpec.status_templates ?? {}) as Record<string, string>,
  };
}

/** How the turn will handle each call the model made. */
export function planCalls(calls: readonly LlmToolCall[], set: ToolSet): ToolCallPlan[] {
  return calls.map((c) => {
    const tool = set.byName.get(c.function.name);
    const family = tool ? undefined : set.families?.get(c.function.name);
    const builtin = c.function.name === CONTINUE_EXECUTION && (set.paused?.length ?? 0) > 0;
    const parsed = parseArguments(c.function.arguments);
    const { args } = parsed;
    let invalid = parsed.invalid;
    const params = tool?.params ?? family?.offered.params;
    const merged = params && args ? mergeArguments(args, params) : args;
    if (builtin && args && !set.paused!.includes(args.execution_id as string))
      invalid = `execution_id must be one of the paused executions: ${set.paused!.join(', ')}`;
    return {
      id: c.id,
      name: c.function.name,
      function: tool ? { namespace: tool.namespace, name: tool.name } : null,
      arguments: merged,
      ...(invalid ? { invalid } : {}),
      ...(builtin ? { builtin: CONTINUE_EXECUTION } : {}),
      ...(family ? { target: family.offered.target } : {}),
      requiresApproval: tool?.requiresApproval ?? family?.offered.requiresApproval ?? false,
      description: builtin
        ? 'Continuing a paused function'
        : renderStatus(
            set.statusTemplates,
            family?.offered.status ?? statusOf(c.function.name),
            merged ?? {},
          ),
    };
  });
}

/** The model's arguments as an object, or why they are not one. */
function parseArguments(raw: string): { args: Record<string, unknown> | null; invalid?: string } {
  try {
    const parsed: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { args: null, invalid: 'the arguments must be a JSON object' };
    return { args: parsed as Record<string, unknown> };
  } catch (err) {
    return { args: null, invalid: `the arguments are not valid JSON (${(err as Error).message})` };
  }
}

/** The model's arguments, then overridable values it left out, then locked values (locked wins). */
export function mergeArguments(args: Record<string, unknown>, p: Params): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  for (const [k, v] of Object.entries(p.overridable)) if (!(k in out)) out[k] = v;
  return { ...out, ...p.locked };
}

/** A bare value or `{value, locked:false}` is overridable; `{value, locked:true}` is locked. Strings render with the chat input; one failure drops them all. */
export function renderParams(raw: Record<string, unknown>, input: Readonly<Record<string, unknown>>): Params {
  const locked: Record<string, unknown> = {};
  const overridable: Record<string, unknown> = {};
  try {
    for (const [k, v] of Object.entries(raw)) {
      const isWrapped = typeof v === 'object' && v !== null && !Array.isArray(v) && 'value' in v;
      const value = renderDeep(isWrapped ? (v as { value: unknown }).value : v, input);
      if (isWrapped && (v as { locked?: unknown }).locked === true) locked[k] = value;
      else overridable[k] = value;
    }
  } catch {
    return { locked: {}, overridable: {} };
  }
  return { locked, overridable };
}

function renderDeep(v: unknown, input: Readonly<Record<string, unknown>>): unknown {
  if (typeof v === 'string') return v.includes('{') ? renderTemplate(v, input) : v;
  if (Array.isArray(v)) return v.map((x) => renderDeep(x, input));
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderDeep(x, input)]));
  return v;
}

/** Locked parameters leave the schema; overridable ones become defaults; neither stays required. */
export function adjustSchema(schema: Record<string, unknown>, p: Params): Record<string, unknown> {
  const props = { ...((schema.properties ?? {}) as Record<string, Record<string, unknown>>) };
  for (const k of Object.keys(p.locked)) delete props[k];
  for (const [k, v] of Object.entries(p.overridable)) if (props[k]) props[k] = { ...props[k], default: v };
  const hidden = new Set([...Object.keys(p.locked), ...Object.keys(p.overridable)]);
  const required = ((schema.required ?? []) as string[]).filter((r) => !hidden.has(r));
  return {
    ...schema,
    type: 'object',
    properties: props,
    ...(required.length ? { required } : { required: [] }),
  };
}

/** The status text of a call by its tool name (reference §4.2; status-text.ts). */
export function statusText(
  templates: Readonly<Record<string, string>>,
  tool: string,
  args: Readonly<Record<string, unknown>>,
): string {
  return renderStatus(templates, statusOf(tool), args);
}

/** A non-string result is JSON-encoded; anything over the limit is cut with a marker. */
export function serializeResult(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  return text.length > RESULT_LIMIT ? text.slice(0, RESULT_LIMIT) + TRUNCATED : text;
}
