/**
 * A config field naming a function or an agent as one `ns/name` (`functionName`, `agentName`),
 * stored as a kind's two fields (a namespace and a name). A bare name means `default/name`
 * (reference §6.3); the shorthand is qualified before anything compares or hashes it, so `echo`
 * and `default/echo` are the same config and a second apply finds it unchanged.
 */
import type { ResourceKind } from '../../resource/resource-kind.js';
import type { FieldMapping, Spec } from './resource-section.js';

/** `ns/name`, or a bare name meaning `default/name` */
export const qualified = (ref: string) => (ref.includes('/') ? ref : `default/${ref}`);

export interface RefFieldOptions {
  readonly yaml: string;
  /** the stored namespace and name fields */
  readonly namespaceField: string;
  readonly nameField: string;
  /** whether the stored item names its target in this field (a schedule: its `schedule_type`) */
  readonly names?: (spec: Spec) => boolean;
}

export function refField(kind: ResourceKind, o: RefFieldOptions): FieldMapping {
  const part = (field: string) => {
    const pattern = (kind.fields[field] as { pattern?: string } | undefined)?.pattern;
    if (!pattern) throw new Error(`${kind.type}.${field} has no pattern`);
    return pattern.replace(/^\^/, '').replace(/\$$/, '');
  };
  return {
    yaml: o.yaml,
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: 511,
      pattern: `^(${part(o.namespaceField)}/)?${part(o.nameField)}$`,
    },
    fallback: null,
    read: (spec) =>
      (o.names?.(spec) ?? true) && typeof spec[o.nameField] === 'string'
        ? `${String(spec[o.namespaceField] ?? 'default')}/${String(spec[o.nameField])}`
        : null,
    write: (ref) => {
      if (typeof ref !== 'string') return {};
      const [namespace, name] = qualified(ref).split('/') as [string, string];
      return { [o.namespaceField]: namespace, [o.nameField]: name };
    },
  };
}

/** Qualifies the bare names of `fields` in a raw YAML item (a section's `normalise`). */
export function qualifyRefs(fields: readonly string[]) {
  return (raw: unknown): unknown => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const item = { ...(raw as Record<string, unknown>) };
    for (const f of fields) if (typeof item[f] === 'string') item[f] = qualified(item[f]);
    return item;
  };
}
