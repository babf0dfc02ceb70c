/** A configuration resource kind: its event-type prefix, stream category, read-model table and schema. */
import type { JSONSchema } from '../validation.js';

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
}
