/**
 * A section of the declarative config (`spec.<name>`): how its items are checked, compared with the
 * platform, written and exported. A new resource kind joins the config by adding one section to the
 * registry (sections/index.ts); the order of the registry is the apply order (reference §6.3).
 */
import type { CommandContext } from '../command-handler.js';
import type { JSONSchema } from '../validation.js';

export interface ConfigIssue {
  /** where: `spec.agents[2].name`, or `root` for the document itself */
  readonly path: string;
  readonly message: string;
}

/** What validation gives a section's checks: where to report, and names known to the config or platform. */
export interface CheckEnv {
  error(path: string, message: string): void;
  warn(path: string, message: string): void;
  /** whether `key` names an item of section `section` in this config or on the platform */
  exists(section: string, key: string): Promise<boolean>;
  /** the API process's environment, for `${NAME}` substitution */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The platform's current version of one item, read from the event store. */
export interface Observation {
  readonly exists: boolean;
  /** its config fields in the same shape as `desired` (write-only values excluded) */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** the write-only value differs from the desired one (undefined: the item sets none) */
  readonly writeOnlyChanged?: boolean;
  /** `managedBy` of the last event that defined it: 'config' when a config apply wrote it last */
  readonly managedBy?: string;
  /** the stream a write would append to, and its revision when read (undefined: no stream) */
  readonly stream: string;
  readonly revision: bigint | undefined;
}

export type ChangeAction = 'create' | 'update' | 'unchanged';

export interface PlannedChange {
  readonly action: ChangeAction;
  readonly section: string;
  readonly resourceType: string;
  readonly resourceName: string;
  /** for updates: the config fields that differ (write-only ones by name only) */
  readonly changes?: readonly string[];
  readonly checksum: string;
  readonly observation: Observation;
  readonly item: unknown;
  readonly path: string;
}

/** Shared by the plan: caches reads that several items need (all roles' members, ...). */
export interface PlanEnv {
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export interface WriteEnv {
  /** actor, a command id per write, and `managedBy: 'config'` metadata */
  context(change: PlannedChange): CommandContext;
  /** the caller, for services that check ownership (secrets) */
  readonly caller: { readonly userId: string; readonly isAdmin: boolean };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ConfigSection<I = any> {
  /** the `spec` key: 'agents' */
  readonly name: string;
  /** the change list's `resourceType`: 'agent' */
  readonly resourceType: string;
  /** JSON schema of one item as written in YAML (camelCase); defaults are filled in */
  readonly schema: JSONSchema;
  /** desired-field names whose lists are sets (sorted before hashing and comparing) */
  readonly sets?: readonly string[];
  /** write-only YAML fields whose `${NAME}` references are substituted from the environment */
  readonly substitute?: readonly string[];
  /**
   * set for a section whose items are checked but never applied (dependencies): the warning each
   * item gets; such items are left out of the plan and the change list
   */
  notApplied?(item: I): string;
  /** shorthands expanded before the schema check (a bare function name gets `default/`) */
  normalise?(raw: unknown): unknown;
  /** the natural key: `ns/name`, `name` or an email */
  key(item: I): string;
  /** the path of the key field inside an item, for duplicate errors: 'name' */
  readonly keyField: string;
  /** the config fields the item sets, defaults included, write-only values excluded */
  desired(item: I): Record<string, unknown>;
  /** checks beyond the schema: references, code, permission grammar, `${NAME}` variables */
  check?(item: I, path: string, env: CheckEnv): Promise<void> | void;
  /** the keys of this section's items that exist on the platform (for references) */
  existing(): Promise<ReadonlySet<string>>;
  observe(item: I, env: PlanEnv): Promise<Observation>;
  /** errors the plan finds (a secret created without a value) */
  planIssues?(item: I, observation: Observation): string | undefined;
  /**
   * What the caller may not do in a change of this item (an agent naming a function they may not
   * execute); any issue refuses the whole apply with a 403 before anything is written
   */
  authorize?(change: PlannedChange, caller: WriteEnv['caller']): Promise<readonly ConfigIssue[]>;
  /** writes the change; returns the `$all` position of the last event written */
  write(change: PlannedChange, env: WriteEnv): Promise<bigint | undefined>;
  /**
   * the platform's items as YAML objects that apply back unchanged (write-only values left out,
   * except those a section reveals when `includeSecrets` is asked: LLM provider API keys)
   */
  exportAll(o?: ExportOptions): Promise<Record<string, unknown>[]>;
  /**
   * Deletes the item `key` if it exists and `manager` still manages it (a package uninstalled or
   * dropping it); 'kept' when it is gone or something else manages it now
   */
  remove?(key: string, manager: string, context: CommandContext): Promise<RemoveOutcome>;
}

/** What an export includes (reference §6.1 `include_secrets`). */
export interface ExportOptions {
  readonly includeSecrets?: boolean;
}

export type RemoveOutcome =
  | { readonly outcome: 'removed'; readonly position: bigint | undefined }
  | { readonly outcome: 'kept'; readonly why: 'absent' | 'not-managed' };

/** `spec.agents[2]` + ajv's `/enabledFunctions/0` → `spec.agents[2].enabledFunctions[0]` */
export function joinPath(base: string, pointer: string | readonly (string | number)[]): string {
  const parts =
    typeof pointer === 'string'
      ? pointer
          .split('/')
          .filter(Boolean)
          .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      : pointer.map(String);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : `${acc}.${p}`), base);
}

/** snake_case → camelCase */
export const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
