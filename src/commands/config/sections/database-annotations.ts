/**
 * A database connection's `annotations` in the config (reference §6.3): display names and
 * descriptions of its tables and columns, applied as the original applies them: each one upserted
 * by schema, table and column (an annotation the YAML leaves out stays as it is; a display name or
 * description the YAML leaves null keeps the stored one). They live in the connection's annotation
 * stream (src/events/database-annotation-events.ts), never in its spec, and are never exported.
 */
import type { Annotation } from '../../../events/database-annotation-events.js';
import type { JSONSchema } from '../../validation.js';
import type { CheckEnv } from '../config-section.js';

const IDENT: JSONSchema = { type: 'string', minLength: 1, maxLength: 63 };
const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });

export const ANNOTATIONS_SCHEMA: JSONSchema = {
  type: 'array',
  maxItems: 1000,
  default: [],
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['tableName'],
    properties: {
      schemaName: { ...IDENT, default: 'public' },
      tableName: IDENT,
      columnName: nullable(IDENT),
      displayName: nullable({ type: 'string', maxLength: 255 }),
      description: nullable({ type: 'string', maxLength: 5000 }),
    },
  },
};

export interface YamlAnnotation {
  readonly schemaName: string;
  readonly tableName: string;
  readonly columnName?: string | null;
  readonly displayName?: string | null;
  readonly description?: string | null;
}

type Wanted = Readonly<Record<string, string | null>>;

const keyOf = (a: {
  readonly schemaName?: string | null;
  readonly tableName?: string | null;
  readonly columnName?: string | null;
}) => JSON.stringify([a.schemaName, a.tableName, a.columnName ?? null]);

/** what the YAML's annotations set, in one order: the key, and each field given a value */
export function wanted(list: readonly YamlAnnotation[] | undefined): Wanted[] {
  return [...(list ?? [])]
    .map((a) => ({
      schemaName: a.schemaName,
      tableName: a.tableName,
      columnName: a.columnName ?? null,
      ...(a.displayName != null ? { displayName: a.displayName } : {}),
      ...(a.description != null ? { description: a.description } : {}),
    }))
    .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

const storedOf = (stored: readonly Annotation[], w: Wanted) =>
  stored.find(
    (s) =>
      keyOf({ schemaName: s.schema_name, tableName: s.table_name, columnName: s.column_name }) === keyOf(w),
  );

/** the stored annotations in the shape of `wanted` (the fields it sets), to compare with it */
export function current(stored: readonly Annotation[], want: readonly Wanted[]): Wanted[] {
  return want.map((w) => {
    const s = storedOf(stored, w);
    return {
      schemaName: w.schemaName!,
      tableName: w.tableName!,
      columnName: w.columnName ?? null,
      ...('displayName' in w ? { displayName: s?.display_name ?? null } : {}),
      ...('description' in w ? { description: s?.description ?? null } : {}),
    };
  });
}

/** the annotations to record: each wanted one that differs from the stored, the rest of it kept */
export function toRecord(stored: readonly Annotation[], want: readonly Wanted[]): Annotation[] {
  const now = current(stored, want);
  return want.flatMap((w, i) => {
    const s = storedOf(stored, w);
    if (s && JSON.stringify(now[i]) === JSON.stringify(w)) return [];
    return [
      {
        schema_name: w.schemaName!,
        table_name: w.tableName!,
        column_name: w.columnName ?? null,
        display_name: w.displayName ?? s?.display_name ?? null,
        description: w.description ?? s?.description ?? null,
      },
    ];
  });
}

/** an annotation named twice in one connection is an error at the second */
export function checkAnnotations(list: unknown, path: string, env: CheckEnv): void {
  if (!Array.isArray(list)) return;
  const seen = new Set<string>();
  list.forEach((a: YamlAnnotation, i) => {
    const k = keyOf(a);
    if (seen.has(k))
      env.error(
        `${path}.annotations[${i}]`,
        `annotates ${[a.schemaName, a.tableName, a.columnName].filter((x) => x != null).join('.')} again`,
      );
    seen.add(k);
  });
}
