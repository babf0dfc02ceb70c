/** A state as the API answers it (reference §5.7 StateResponse), plus the `version` it was read at. */
import type { StateFields, StateVisibility } from '../../events/state-events.js';

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
