/**
 * A state as the API answers it (reference §5.7 StateResponse), plus the `version` it was read at,
 * from an event's fields or a read-model row.
 */
import type { StateFields, StateVisibility } from '../../events/state-events.js';
import type { StateRow } from '../../projections/state-queries.js';

export interface StateView {
  readonly id: string;
  readonly user_id: string;
  readonly store_id: string;
  readonly store_namespace: string;
  readonly store_name: string;
  readonly key: string;
  readonly value: unknown;
  readonly visibility: StateVisibility;
  readonly encrypted: boolean;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly relevance_score: number;
  readonly expires_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

export function stateView(f: StateFields, value: unknown, version: number): StateView {
  return {
    id: f.stateId,
    user_id: f.userId,
    store_id: f.storeId,
    store_namespace: f.storeNamespace,
    store_name: f.storeName,
    key: f.key,
    value,
    visibility: f.visibility,
    encrypted: f.sealed !== null,
    description: f.description,
    tags: f.tags,
    relevance_score: f.relevanceScore,
    expires_at: f.expiresAt,
    created_at: f.createdAt,
    updated_at: f.updatedAt,
    version,
  };
}

/** A read-model row as the fields of the write that left it. */
export function rowFields(r: StateRow): StateFields {
  return {
    stateId: r.id,
    storeId: r.store_id,
    storeNamespace: r.store_namespace,
    storeName: r.store_name,
    userId: r.user_id,
    key: r.key,
    value: r.value,
    sealed: (r.sealed ?? null) as StateFields['sealed'],
    visibility: r.visibility,
    description: r.description,
    tags: r.tags,
    relevanceScore: r.relevance_score,
    expiresAt: r.expires_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
