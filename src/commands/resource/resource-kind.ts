/**
 * A configurable kind, declared once: fields and their JSON Schemas, namespacing and name rules,
 * ownership, event layout, read-model columns and config section. The kit derives the rest from it:
 * the decider, the service, the projection and queries, the routes and OpenAPI, the config
 * apply/export section and the kind's rows in the authorisation matrix.
 */
import type { EventLayout } from '../../events/resources/event-layout.js';
import type { JSONSchema } from '../validation.js';
import type { ReadModelLayout } from './read-model.js';

/**
 * Who sees and changes an item:
 * - `grants`: permission strings per namespace and item (`sinas.agents/<ns>/<name>.read:own`); the
 *   routes check them; `adminOnly` kinds need `:all` on every route.
 * - `owner`: the owner, or whoever holds `sinas.<resource>.<action>:all`; to anyone else an item
 *   does not exist (404). Decided again in the decider.
 * - `visibility`: namespaces `shared` (everyone reads; the owner or an administrator changes) and
 *   `private` (one per owner, no one else's business, administrators included); a name resolves
 *   to the caller's private item first, else the shared one.
 */
export type Ownership = 'grants' | 'owner' | 'visibility';

export interface ResourceKind {
  /** event type prefix and display name: 'Agent' */
  readonly type: string;
  /** stream category: 'agent' */
  readonly category: string;
  /** read-model table: 'agents' */
  readonly table: string;
  /** URL segment under /api/v1: 'agents' */
  readonly path: string;
  /** the permission catalogue's resource: 'agents' → `sinas.agents/<ns>/<name>.<action>:<scope>` */
  readonly resource: string;
  /** managed by administrators only: every route needs `sinas.<resource>.<action>:all` */
  readonly adminOnly?: boolean;
  /** JSON schemas of the fields besides namespace and name (create: with defaults) */
  readonly fields: Readonly<Record<string, JSONSchema>>;
  /** fields a create must set (besides name) */
  readonly requiredFields?: readonly string[];
  readonly namespacePattern: string;
  readonly namePattern: string;
  readonly nameMaxLength: number;
  /** boolean fields at most one active resource may have set (is_default) */
  readonly uniqueFlags?: readonly string[];
  /** false: addressed by name alone (namespace is always 'default' and not shown) */
  readonly namespaced?: boolean;
  /** accepted on writes, sealed (encrypted) before they reach an event, never returned */
  readonly writeOnlyFields?: readonly string[];

  /** in messages and summaries: 'secret' (default: the type in lower case) */
  readonly label?: string;
  /** the OpenAPI tag (default: the type) */
  readonly tag?: string;
  /** default 'grants' */
  readonly ownership?: Ownership;
  /** 'id': addressed by a server-made uuid (`/:id`), no namespace or name (default 'name') */
  readonly addressing?: 'name' | 'id';
  /**
   * a name-addressed kind whose items a URL may also name by their id, where the original used ids
   * (LLM providers): a segment that is an item's id names that item, any other its name
   */
  readonly alsoById?: boolean;
  /** the namespace under another API name and schema (secrets: `visibility`, shared or private) */
  readonly namespaceField?: { readonly name: string; readonly schema: JSONSchema };
  /**
   * the name under another API name, in bodies, responses and the item route (webhooks: `path`);
   * `slashes`: it may contain slashes, which the item route takes as they are (`/webhooks/a/b`)
   */
  readonly nameField?: { readonly name: string; readonly slashes?: boolean };
  /** accepted on create only (an event subscription's scope) */
  readonly createOnlyFields?: readonly string[];
  /** set by a hook, never by a request nor shown (a subscription's sealed signing secret) */
  readonly internalFields?: readonly string[];
  /**
   * response fields a list leaves out, shown only when one item is read (a component's source and
   * bundle: reference §5.9 ComponentListResponse); they may be fields or decorations
   */
  readonly listOmits?: readonly string[];
  /**
   * a `grants` kind's field that opens an item to other readers: any value but `private` lets
   * every holder of the kind's `read:own` key list and read it (components' `visibility`, as the
   * original's permission mixin does); changes stay with the owner and `:all`
   */
  readonly visibilityField?: string;
  /**
   * the resource API of agents, functions and providers: `is_active` in responses (false deletes),
   * identity fields accepted in updates, a `/versions` route (default true)
   */
  readonly lifecycleApi?: boolean;
  /** a create of a name in use is invalid input (the reference's 400 for webhooks), not a conflict (409) */
  readonly duplicates?: 'conflict' | 'invalid';
  /** a create of an item that exists updates it instead: 200, not 409 (secrets) */
  readonly upsert?: boolean;
  /** default put and patch */
  readonly updateMethods?: readonly ('put' | 'patch')[];
  /** stored events' layout, for kinds older than the kit (default: nested) */
  readonly events?: EventLayout;
  /** the read model's table layout (default: namespace, name, id, version, owner_id, spec, ...) */
  readonly readModel?: ReadModelLayout;
  /** a rule on the fields a command writes, checked by the decider (a sealed value names its key) */
  readonly invariant?: (spec: Readonly<Record<string, unknown>>, id: string) => void;
}

export const labelOf = (kind: ResourceKind) => kind.label ?? kind.type.toLowerCase();
export const ownershipOf = (kind: ResourceKind): Ownership => kind.ownership ?? 'grants';
export const byId = (kind: ResourceKind) => kind.addressing === 'id';
export const hasLifecycleApi = (kind: ResourceKind) => kind.lifecycleApi !== false;
/** the namespace in requests and responses: none, `namespace`, or the kind's own name for it */
export function namespaceName(kind: ResourceKind): string | undefined {
  if (byId(kind) || kind.namespaced === false) return undefined;
  return kind.namespaceField?.name ?? 'namespace';
}
/** the namespace of the per-owner items (`private`) under `visibility` ownership */
export const PRIVATE_NAMESPACE = 'private';
export const SHARED_NAMESPACE = 'shared';
/** the request field or path parameter that names an item */
export const keyFieldOf = (kind: ResourceKind) => (byId(kind) ? 'id' : (kind.nameField?.name ?? 'name'));
/** fields a request may set on create */
export function writableFields(kind: ResourceKind, on: 'create' | 'update'): string[] {
  const internal = new Set(kind.internalFields ?? []);
  const createOnly = new Set(on === 'update' ? (kind.createOnlyFields ?? []) : []);
  return Object.keys(kind.fields).filter((f) => !internal.has(f) && !createOnly.has(f));
}
