/**
 * What happens to a database connection's annotations (reference §5.3): display names and
 * descriptions of its tables and columns, kept by the platform (not in the user's database). One
 * stream per connection, `dbannotations-<connection id>`, each PUT one event carrying the
 * annotations it upserts; the current set is the fold (last write per schema/table/column wins), so
 * a connection deleted and created again (a new id) starts with none.
 */
import { streamName } from './stream-names.js';

export interface Annotation {
  readonly schema_name: string;
  readonly table_name: string;
  readonly column_name?: string | null;
  readonly display_name?: string | null;
  readonly description?: string | null;
}

export type DatabaseAnnotationEvent = {
  readonly type: 'DatabaseAnnotationsSet';
  readonly data: { readonly connectionId: string; readonly annotations: readonly Annotation[] };
};

export const ANNOTATION_CATEGORY = 'dbannotations';

export const annotationStream = (connectionId: string) => streamName(ANNOTATION_CATEGORY, connectionId);

/** the key one annotation replaces another under */
export const annotationKey = (a: Annotation) =>
  JSON.stringify([a.schema_name, a.table_name, a.column_name ?? null]);
