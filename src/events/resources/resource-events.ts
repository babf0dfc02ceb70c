/**
 * The generic configuration-resource lifecycle (DESIGN §5): Created → Updated (changed fields) → Deleted.
 * Each kind prefixes the event types with its own name (`AgentCreated`, `FunctionUpdated`, ...).
 */
export type ResourceSpec = Readonly<Record<string, unknown>>;

export interface ResourceCreatedData {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly ownerId: string;
  readonly spec: ResourceSpec;
  readonly at: string;
}

export interface ResourceUpdatedData {
  /** the new values of the fields that changed (null clears a nullable field) */
  readonly changes: ResourceSpec;
  readonly changed: readonly string[];
  readonly at: string;
}

export interface ResourceDeletedData {
  readonly at: string;
}

export type ResourceEventKind = 'Created' | 'Updated' | 'Deleted';

/** The data lies as the kind's event layout (event-layout.ts) says: nested for kit-born kinds. */
export type ResourceEvent =
  | { readonly type: `${string}Created`; readonly data: Readonly<Record<string, unknown>> }
  | { readonly type: `${string}Updated`; readonly data: Readonly<Record<string, unknown>> }
  | { readonly type: `${string}Deleted`; readonly data: Readonly<Record<string, unknown>> };

/**
 * The stream id (after `<category>-`) of an item: `<namespace>/<name>`; `<id>` for kinds addressed by
 * id; `<namespace>/<owner>/<name>` in a per-owner namespace (`private/<owner>/<name>` for secrets).
 */
export function resourceStreamId(
  item: { readonly namespace: string; readonly name: string; readonly ownerId?: string },
  o: { readonly byId?: boolean; readonly perOwnerNamespace?: string } = {},
): string {
  if (o.byId) return item.name;
  if (item.namespace === o.perOwnerNamespace) return `${item.namespace}/${item.ownerId}/${item.name}`;
  return `${item.namespace}/${item.name}`;
}

export function resourceEventKind(kindType: string, eventType: string): ResourceEventKind | undefined {
  if (!eventType.startsWith(kindType)) return undefined;
  const rest = eventType.slice(kindType.length);
  return rest === 'Created' || rest === 'Updated' || rest === 'Deleted' ? rest : undefined;
}
