/**
 * What an agent may not name yet: tools of kinds this platform does not run (none today; a new
 * kind's tools are listed here until they run). Saving an agent that names
 * one is refused, naming the field, rather than accepted and silently ignored at run time.
 */
import { ValidationError } from '../../errors.js';

/** Agent fields whose tools are not run yet, with the kind each names (snake_case, as the API spells them). */
const UNRUN_LISTS: readonly (readonly [string, string])[] = [];

const UNRUN_SYSTEM_TOOLS = new Set<string>([]);

export interface UnrunField {
  /** the field in snake_case (`enabled_components`, `system_tools[1]`) */
  readonly field: string;
  readonly message: string;
}

/** Every field of `spec` (a create, or the part of an update it sets) that names a kind not run yet. */
export function unrunKinds(spec: Readonly<Record<string, unknown>>): UnrunField[] {
  const out: UnrunField[] = [];
  for (const [field, kind] of UNRUN_LISTS) {
    const list = spec[field];
    if (Array.isArray(list) && list.length > 0)
      out.push({ field, message: `${kind} are not supported as agent tools yet: leave ${field} empty` });
  }
  const tools = spec.system_tools;
  if (Array.isArray(tools))
    for (const [i, t] of tools.entries()) {
      const name = typeof t === 'string' ? t : (t as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && UNRUN_SYSTEM_TOOLS.has(name))
        out.push({ field: `system_tools[${i}]`, message: `the system tool '${name}' is not supported yet` });
    }
  return out;
}

/** The agent kind's save check: a 400 naming the first field that names a kind not run yet. */
export function refuseUnrunKinds(spec: Readonly<Record<string, unknown>>): void {
  const found = unrunKinds(spec);
  if (found.length === 0) return;
  throw new ValidationError(
    found.map((f) => `${f.field}: ${f.message}`).join('; '),
    found[0]!.field,
    found.map((f) => ({ field: f.field, message: f.message })),
  );
}
