/**
 * The status text a tool call shows (reference §4.2): the `status_templates` key a tool name maps
 * to (`agent:`, `skill:`, `query:`, `collection:`, `component:`, `state:`, else `function:`), the
 * fallback text when the agent has no template for it, and the template rendered with the call's
 * arguments. A family's offer names its own key and fallback; every other tool goes by its name.
 */
import { renderTemplate } from './templates.js';

/** Where a tool's status text comes from: `status_templates[key]`, else `fallback`. */
export interface ToolStatus {
  readonly key: string;
  readonly fallback: string;
}

/** `ns__name` → `ns/name` (the first `__` only, as the reference maps it). */
const slashed = (rest: string) => rest.replace('__', '/');
const spaced = (name: string) => name.replace(/_/g, ' ');
const lastPart = (ref: string) => ref.split('/').pop()!;

const COLLECTION_TOOLS: readonly (readonly [string, string])[] = [
  ['search_collection_', 'Searching files'],
  ['get_file_', 'Reading file'],
  ['write_file_', 'Writing file'],
  ['edit_file_', 'Editing file'],
  ['delete_file_', 'Deleting file'],
];

const STATE_TOOLS: Readonly<Record<string, string>> = {
  list_state_keys: 'Listing state',
  retrieve_state: 'Retrieving state',
  save_state: 'Saving state',
  delete_state: 'Deleting state',
};

/** The key and fallback text of a tool, by its name (reference §4.2). */
export function statusOf(tool: string): ToolStatus {
  const after = (prefix: string) => tool.slice(prefix.length);
  if (tool.startsWith('call_agent_')) {
    const ref = slashed(after('call_agent_'));
    return { key: `agent:${ref}`, fallback: `Calling ${ref}` };
  }
  if (tool.startsWith('get_skill_')) {
    const ref = slashed(after('get_skill_'));
    return { key: `skill:${ref}`, fallback: `Loading skill ${ref}` };
  }
  if (tool.startsWith('query_')) {
    const ref = slashed(after('query_'));
    return { key: `query:${ref}`, fallback: `Running query ${spaced(lastPart(ref))}` };
  }
  for (const [prefix, fallback] of COLLECTION_TOOLS)
    if (tool.startsWith(prefix)) return { key: `collection:${slashed(after(prefix))}`, fallback };
  if (tool.startsWith('show_component_')) {
    const ref = slashed(after('show_component_'));
    return { key: `component:${ref}`, fallback: `Rendering ${ref}` };
  }
  const state = STATE_TOOLS[tool];
  if (state) return { key: `state:${tool}`, fallback: state };
  const ref = slashed(tool);
  return { key: `function:${ref}`, fallback: `Running ${spaced(lastPart(ref))}` };
}

/** `status_templates[status.key]` rendered with the arguments; the fallback when there is none or it fails. */
export function renderStatus(
  templates: Readonly<Record<string, string>>,
  status: ToolStatus,
  args: Readonly<Record<string, unknown>>,
): string {
  const template = templates[status.key];
  if (template) {
    try {
      return renderTemplate(template, args);
    } catch {
      // a template that does not render (an argument the model left out) shows the fallback instead
    }
  }
  return status.fallback;
}
