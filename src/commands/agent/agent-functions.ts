/**
 * The functions an agent runs (its tools in `enabled_functions`, its `hooks`), each with the field
 * that names it, and the check a save makes on them: each must exist (400) and its author must be
 * allowed to execute it (403), both naming the field. The same rule is checked again at every call,
 * for the chat's user; this one only stops an agent that could never run what it names.
 */
import type { ExecutePolicy } from '../execution/execute-policy.js';

export interface FunctionReference {
  /** where, in the request's spelling: `enabled_functions[0]`, `hooks.on_user_message[1].function` */
  readonly field: string;
  /** `namespace/name` */
  readonly ref: string;
}

/** The references of an agent spec, or of the part of one an update sets (absent fields name nothing). */
export function functionReferences(
  spec: { readonly tools?: unknown; readonly hooks?: unknown },
  toolsField = 'enabled_functions',
): FunctionReference[] {
  const out: FunctionReference[] = [];
  if (Array.isArray(spec.tools))
    for (const [i, ref] of spec.tools.entries())
      if (typeof ref === 'string') out.push({ field: `${toolsField}[${i}]`, ref });
  const hooks = (spec.hooks ?? {}) as Record<string, unknown>;
  for (const [when, list] of Object.entries(hooks)) {
    if (!Array.isArray(list)) continue;
    for (const [i, h] of list.entries()) {
      const ref = (h as { function?: unknown } | null)?.function;
      if (typeof ref === 'string') out.push({ field: `hooks.${when}[${i}].function`, ref });
    }
  }
  return out;
}

/** The agent kind's save check (ResourceService `checkSpec`): every function it names, for its author. */
export function agentFunctionCheck(policy: ExecutePolicy) {
  return async (spec: Readonly<Record<string, unknown>>, ctx: { readonly actor: string }) => {
    const refs = functionReferences({ tools: spec.enabled_functions, hooks: spec.hooks });
    if (refs.length === 0) return;
    const author = await policy.runner(ctx.actor);
    for (const { field, ref } of refs) await policy.checkReference(author, ref, field);
  };
}
