/**
 * The skills and stores an agent names must exist when it is saved: a 400 naming each field and
 * the missing entry (`enabled_skills[0]: no skill 'docs/tips' on the platform`), as config apply
 * reports them, rather than an agent whose tools silently never appear. Only the fields a create
 * or update sets are checked; an entry deleted later is skipped at run time, as before.
 */
import { ValidationError } from '../../errors.js';

/** whether the `skills` or `stores` item `ns/name` exists */
export type ItemExists = (kind: 'skills' | 'stores', ref: string) => Promise<boolean>;

const LISTS = [
  { field: 'enabled_skills', key: 'skill', kind: 'skills', label: 'skill' },
  { field: 'enabled_stores', key: 'store', kind: 'stores', label: 'store' },
] as const;

/** The agent kind's save check (ResourceService `checkSpec`). */
export function agentReferenceCheck(exists: ItemExists) {
  return async (spec: Readonly<Record<string, unknown>>): Promise<void> => {
    const missing: { field: string; message: string }[] = [];
    for (const l of LISTS) {
      const list = spec[l.field];
      if (!Array.isArray(list)) continue;
      for (const [i, entry] of list.entries()) {
        const ref = (entry as Record<string, unknown> | null)?.[l.key];
        if (typeof ref !== 'string' || (await exists(l.kind, ref))) continue;
        missing.push({ field: `${l.field}[${i}]`, message: `no ${l.label} '${ref}' on the platform` });
      }
    }
    if (missing.length === 0) return;
    throw new ValidationError(
      missing.map((m) => `${m.field}: ${m.message}`).join('; '),
      missing[0]!.field,
      missing,
    );
  };
}
