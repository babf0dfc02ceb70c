/**
 * The canonical checksum of a resource's config fields (reference §6.5): SHA-256 over JSON with
 * sorted keys, where lists that are sets (references) are sorted first, so reordering them is no change.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth; `undefined` members are dropped as JSON does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

/** The fields with every set-like list sorted (by canonical JSON of its items). */
export function canonicalFields(
  fields: Readonly<Record<string, unknown>>,
  sets: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  for (const k of sets) {
    const v = out[k];
    if (Array.isArray(v)) out[k] = [...v].sort((a, b) => cmp(canonicalJson(a), canonicalJson(b)));
  }
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function checksum(fields: Readonly<Record<string, unknown>>, sets: readonly string[] = []): string {
  return createHash('sha256')
    .update(canonicalJson(canonicalFields(fields, sets)))
    .digest('hex');
}

/** The names of the fields whose canonical values differ. */
export function changedFields(
  desired: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
  sets: readonly string[] = [],
): string[] {
  const a = canonicalFields(desired, sets);
  const b = canonicalFields(current, sets);
  return Object.keys(a).filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null));
}
