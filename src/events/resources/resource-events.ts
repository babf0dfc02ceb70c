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

export type ResourceEvent =
  | { readonly type: `${string}Created`; readonly data: ResourceCreatedData }
  | { readonly type: `${string}Updated`; readonly data: ResourceUpdatedData }
  | { readonly type: `${string}Deleted`; readonly data: ResourceDeletedData };

export function resourceEventKind(kindType: string, eventType: string): ResourceEventKind | undefined {
  if (!eventType.startsWith(kindType)) return undefined;
  const rest = eventType.slice(kindType.length);
  return rest === 'Created' || rest === 'Updated' || rest === 'Deleted' ? rest : undefined;
}
