/**
 * Reference checks (reference §6.4): a name an item points at must be in the same config or on the
 * platform, and one that is not is reported at the field's path (`spec.agents[3].enabledQueries[0]`).
 * Every section's checks go through these two helpers, so the wording and the paths agree.
 */
import type { CheckEnv } from '../config-section.js';

/** One reference field (`contentFilterFunction`); null or absent is no reference. */
export async function checkReference(
  env: CheckEnv,
  at: string,
  section: string,
  label: string,
  ref: unknown,
): Promise<void> {
  if (typeof ref === 'string' && !(await env.exists(section, ref)))
    env.error(at, `no ${label} '${ref}' in the config or on the platform`);
}

/**
 * A list of references (`enabledQueries`); `pick` takes the name out of an entry given as an object
 * (`{collection, access}`), and `skip` leaves out entries that are not names (`*` patterns, ids).
 */
export async function checkReferenceList(
  env: CheckEnv,
  path: string,
  field: string,
  section: string,
  label: string,
  list: unknown,
  o: { pick?: (entry: unknown) => unknown; skip?: (ref: string) => boolean } = {},
): Promise<void> {
  if (!Array.isArray(list)) return;
  for (const [i, entry] of list.entries()) {
    const ref = o.pick ? o.pick(entry) : entry;
    if (typeof ref === 'string' && o.skip?.(ref)) continue;
    await checkReference(env, `${path}.${field}[${i}]`, section, label, ref);
  }
}
