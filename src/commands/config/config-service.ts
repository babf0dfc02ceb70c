/**
 * Declarative config (reference §6): validate, apply (plan → check → write) and export.
 *
 * What an apply guarantees. The event store has no transaction across streams, so:
 * 1. Nothing is written unless the whole document validates and the whole plan holds: every item is
 *    compared with its current version read from the event store (by checksum of its config fields;
 *    write-only values compared in memory), and ownership conflicts and plan errors stop it first.
 * 2. Just before writing, every stream the plan will write is checked to be still at the revision the
 *    plan read; any difference stops the apply with nothing written (409).
 * 3. Each resource is then written with that revision as its expected revision, in apply order, so a
 *    concurrent change is never overwritten. If a write still fails, the apply stops there: what was
 *    written stays (each resource is valid on its own), nothing after it is written, and both the
 *    response and a `ConfigApplyFailed` event in `config-<name>` list what was and was not written.
 *    Applying the same config again completes it (unchanged resources write nothing).
 * A successful apply that changed anything records `ConfigApplied`; one that changed nothing writes
 * no event at all. Applies run one at a time per process.
 */
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { ForbiddenError, IllegalStateError, ValidationError } from '../../errors.js';
import { settled } from '../../expected-errors.js';
import {
  configStream,
  CONFIG_MANAGER,
  MANAGED_BY,
  type ConfigChangeRecord,
  type ConfigEvent,
} from '../../events/config-events.js';
import type { EventStore } from '../../events/event-store.js';
import { checksum, changedFields } from './checksum.js';
import { API_VERSION, KIND, readConfig, type ConfigItem, type ReadConfig } from './config-document.js';
import type { ConfigIssue, ConfigSection, PlannedChange, PlanEnv, WriteEnv } from './config-section.js';

export interface Caller {
  readonly userId: string;
  readonly isAdmin: boolean;
}

export interface ValidationReport {
  readonly valid: boolean;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

export interface ChangeEntry {
  readonly action: PlannedChange['action'];
  readonly resourceType: string;
  readonly resourceName: string;
  readonly changes?: readonly string[];
  readonly checksum: string;
}

type Counts = Record<string, number>;
export interface Summary {
  readonly created: Counts;
  readonly updated: Counts;
  readonly unchanged: Counts;
  readonly deleted: Counts;
}

export interface ApplyResult {
  readonly success: boolean;
  readonly dryRun: boolean;
  readonly applyId: string;
  readonly summary: Summary;
  readonly changes: readonly ChangeEntry[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** `$all` position of the last event written (read-your-writes) */
  readonly position?: bigint;
  /** set when a write failed midway: what was not written, and why */
  readonly failed?: { readonly resourceType: string; readonly resourceName: string; readonly error: string };
  readonly notWritten?: readonly { readonly resourceType: string; readonly resourceName: string }[];
}

/** The apply was refused before writing anything: ownership conflicts or stale revisions. */
export class ConfigConflictError extends IllegalStateError {
  constructor(
    message: string,
    readonly errors: readonly { field: string; message: string }[],
  ) {
    super(message, errors[0]?.field);
  }
}

/** The apply was refused before writing anything: the caller may not do what it asks. */
export class ConfigForbiddenError extends ForbiddenError {
  constructor(
    message: string,
    readonly errors: readonly { field: string; message: string }[],
  ) {
    super(message, errors[0]?.field);
  }
}

export interface ApplyOptions {
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly applyId?: string;
  /** who the written resources are managed by: 'config' (default) or a package's `pkg:<name>` */
  readonly manager?: string;
  /**
   * a changed resource that `manager` does not manage (reference §6.5), unless forced: 'refuse'
   * (default: a config apply is refused, 409); 'skip' (package installs, as the original's): left as
   * it is, with a warning. Unlike the original, one made through the API (nobody manages it) is
   * skipped too rather than taken over: the package's uninstall would delete a user's resource.
   */
  readonly foreign?: 'refuse' | 'skip';
}

export interface ConfigServiceDeps {
  /** in apply order */
  readonly sections: readonly ConfigSection[];
  readonly store: EventStore;
  /** the API process's environment (`${NAME}` substitution) */
  readonly env: () => Readonly<Record<string, string | undefined>>;
  /** waits (bounded) until the read models have caught up with the event store; false if they have not */
  readonly settle: () => Promise<boolean>;
  readonly now?: () => Date;
}

const show = (i: ConfigIssue) => `${i.path}: ${i.message}`;

export class ConfigService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ConfigServiceDeps) {}

  async validate(text: string): Promise<ValidationReport> {
    const r = await this.read(text);
    return { valid: r.errors.length === 0, errors: r.errors, warnings: r.warnings };
  }

  apply(text: string, o: ApplyOptions, caller: Caller) {
    const run = this.queue.then(() => this.applyNow(text, o, caller));
    this.queue = settled(run); // the queue only orders applies: each caller sees its own apply's failure
    return run;
  }

  /** Read-your-writes after an apply: the read models have every event written so far (bounded). */
  settle(): Promise<boolean> {
    return this.deps.settle();
  }

  /**
   * The platform as a config (reference §6.1): `includeSecrets` adds LLM provider API keys in plain
   * text (secret values and connection passwords never); `managedOnly` keeps only the resources a
   * config apply wrote last.
   */
  async export(o: { includeSecrets?: boolean; managedOnly?: boolean } = {}): Promise<string> {
    await this.deps.settle();
    const spec: Record<string, unknown[]> = {};
    const memo = new Map<string, Promise<unknown>>();
    const env: PlanEnv = {
      memo: <T>(key: string, load: () => Promise<T>) => {
        if (!memo.has(key)) memo.set(key, load());
        return memo.get(key) as Promise<T>;
      },
    };
    for (const s of this.deps.sections) {
      let items = await s.exportAll({ includeSecrets: o.includeSecrets === true });
      if (o.managedOnly) items = await managedItems(s, items, env);
      if (items.length) spec[s.name] = items;
    }
    const doc = { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'exported-config' }, spec };
    const note = o.includeSecrets
      ? '# Exported by Sinas WITH LLM provider API keys in plain text: keep this file secret.\n' +
        '# Secret values are never exported: a secret left out here keeps its stored value.\n'
      : '# Exported by Sinas. Secret values and LLM provider API keys are never exported: a secret\n' +
        '# or key left out here keeps its stored value; to create one elsewhere add `value: ${NAME}`.\n';
    return note + stringify(doc, { lineWidth: 0 });
  }

  private async read(text: string): Promise<ReadConfig> {
    const existing = new Map<ConfigSection, Promise<ReadonlySet<string>>>();
    let settled: Promise<boolean> | undefined;
    return readConfig(text, this.deps.sections, {
      env: this.deps.env(),
      existing: (s) => {
        let e = existing.get(s);
        if (!e) {
          settled ??= this.deps.settle();
          e = settled.then(() => s.existing());
          existing.set(s, e);
        }
        return e;
      },
    });
  }

  /** The sections in apply order (packages export and remove through them). */
  get sections(): readonly ConfigSection[] {
    return this.deps.sections;
  }

  private async applyNow(text: string, o: ApplyOptions, caller: Caller): Promise<ApplyResult> {
    const read = await this.read(text);
    if (read.errors.length) {
      const errors = read.errors.map((e) => ({ field: e.path, message: e.message }));
      throw new ValidationError(`invalid config: ${show(read.errors[0]!)}`, read.errors[0]!.path, errors);
    }
    const warnings = read.warnings.map(show);
    const manager = o.manager ?? CONFIG_MANAGER;
    const rules = { force: o.force === true, foreign: o.foreign ?? 'refuse', manager };
    const plan = await this.plan(read.items, rules, warnings);
    await this.authorize(plan, caller);
    const applyId = o.applyId ?? randomUUID();
    const result = { success: true, dryRun: o.dryRun === true, applyId, warnings, errors: [] as string[] };
    if (o.dryRun) return { ...result, ...report(plan) };
    await this.checkRevisions(plan);
    return this.write(plan, read, applyId, caller, result, manager);
  }

  private async plan(
    items: readonly ConfigItem[],
    rules: ForeignRules,
    warnings: string[],
  ): Promise<PlannedChange[]> {
    const memo = new Map<string, Promise<unknown>>();
    const env: PlanEnv = {
      memo: <T>(key: string, load: () => Promise<T>) => {
        if (!memo.has(key)) memo.set(key, load());
        return memo.get(key) as Promise<T>;
      },
    };
    const plan: PlannedChange[] = [];
    const invalid: ConfigIssue[] = [];
    const conflicts: ConfigIssue[] = [];
    for (const { section, path, key, item } of items) {
      const observation = await section.observe(item, env);
      const issue = section.planIssues?.(item, observation);
      if (issue)
        invalid.push({ path: `${path}.${issue.split(':')[0]}`, message: issue.replace(/^\w+: /, '') });
      const desired = section.desired(item);
      const sum = checksum(desired, section.sets);
      const base = {
        section: section.name,
        resourceType: section.resourceType,
        resourceName: key,
        item,
        path,
      };
      if (!observation.exists) {
        plan.push({ ...base, action: 'create', checksum: sum, observation });
        continue;
      }
      const changes = changedFields(desired, observation.fields ?? {}, section.sets);
      if (observation.writeOnlyChanged) changes.push(...(section.substitute ?? []));
      if (changes.length === 0) {
        plan.push({ ...base, action: 'unchanged', checksum: sum, observation });
        continue;
      }
      const verdict = foreignVerdict(rules, { path, type: section.resourceType, key, observation });
      if (verdict.warning) warnings.push(verdict.warning);
      if (verdict.conflict) conflicts.push(verdict.conflict);
      if (verdict.skip) plan.push({ ...base, action: 'unchanged', checksum: sum, observation });
      else plan.push({ ...base, action: 'update', changes, checksum: sum, observation });
    }
    if (invalid.length)
      throw new ValidationError(`invalid config: ${show(invalid[0]!)}`, invalid[0]!.path, fields(invalid));
    if (conflicts.length) throw new ConfigConflictError(`refused: ${show(conflicts[0]!)}`, fields(conflicts));
    return orderFlags(plan);
  }

  /** Every change the caller may make: one that they may not refuses the apply (dry run included). */
  private async authorize(plan: readonly PlannedChange[], caller: Caller): Promise<void> {
    const denied: ConfigIssue[] = [];
    for (const c of plan) {
      if (c.action === 'unchanged') continue;
      denied.push(...((await this.sectionOf(c).authorize?.(c, caller)) ?? []));
    }
    if (denied.length) throw new ConfigForbiddenError(`refused: ${show(denied[0]!)}`, fields(denied));
  }

  /** Every stream about to be written must still be where the plan read it. */
  private async checkRevisions(plan: readonly PlannedChange[]): Promise<void> {
    const moved: ConfigIssue[] = [];
    for (const c of plan) {
      if (c.action === 'unchanged') continue;
      const now = await this.deps.store.streamRevision(c.observation.stream);
      if (now !== c.observation.revision)
        moved.push({
          path: c.path,
          message: `${c.resourceType} '${c.resourceName}' changed while the apply was planned`,
        });
    }
    if (moved.length) throw new ConfigConflictError(`nothing written: ${show(moved[0]!)}`, fields(moved));
  }

  private async write(
    plan: readonly PlannedChange[],
    read: ReadConfig,
    applyId: string,
    caller: Caller,
    result: Omit<ApplyResult, 'summary' | 'changes'>,
    manager: string,
  ): Promise<ApplyResult> {
    const configName = read.name!;
    const env: WriteEnv = {
      caller,
      context: (c) => ({
        commandId: `config:${applyId}:${c.section}:${c.resourceName}`,
        actor: caller.userId,
        correlationId: applyId,
        metadata: { [MANAGED_BY]: manager, configName },
      }),
    };
    const at = () => (this.deps.now?.() ?? new Date()).toISOString();
    const whole = checksum({
      name: configName,
      items: plan.map((c) => [c.section, c.resourceName, c.checksum]),
    });
    const pending = plan.filter((c) => c.action !== 'unchanged');
    const written: ConfigChangeRecord[] = [];
    let position: bigint | undefined;
    for (const [i, c] of pending.entries()) {
      try {
        position = (await this.sectionOf(c).write(c, env)) ?? position;
        written.push(record(c));
      } catch (err) {
        const failed = {
          resourceType: c.resourceType,
          resourceName: c.resourceName,
          error: (err as Error).message,
        };
        const notWritten = pending
          .slice(i)
          .map((n) => ({ resourceType: n.resourceType, resourceName: n.resourceName }));
        const event: ConfigEvent = {
          type: 'ConfigApplyFailed',
          data: { applyId, configName, checksum: whole, written, failed, notWritten, at: at() },
        };
        const r = await this.record(configName, event, applyId, caller);
        const done = new Set(written.map((w) => `${w.resourceType}/${w.resourceName}`));
        const changes = plan.filter(
          (p) => p.action === 'unchanged' || done.has(`${p.resourceType}/${p.resourceName}`),
        );
        return {
          ...result,
          ...report(changes),
          success: false,
          errors: [`${c.path}: ${failed.error}`],
          failed,
          notWritten,
          position: r,
        };
      }
    }
    if (written.length) {
      const event: ConfigEvent = {
        type: 'ConfigApplied',
        data: { applyId, configName, checksum: whole, written, at: at() },
      };
      position = await this.record(configName, event, applyId, caller);
    }
    return { ...result, ...report(plan), ...(position !== undefined ? { position } : {}) };
  }

  private async record(configName: string, event: ConfigEvent, applyId: string, caller: Caller) {
    const r = await this.deps.store.append(
      configStream(configName),
      [
        {
          id: randomUUID(),
          type: event.type,
          data: event.data as unknown as Record<string, unknown>,
          metadata: { correlationId: applyId, causationId: applyId, actor: caller.userId, version: 1 },
        },
      ],
      'any',
    );
    return r.position;
  }

  private sectionOf(c: PlannedChange): ConfigSection {
    return this.deps.sections.find((s) => s.name === c.section)!;
  }
}

/** The exported items a config apply wrote last (`managed_only`). */
async function managedItems(
  s: ConfigSection,
  items: readonly Record<string, unknown>[],
  env: PlanEnv,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const item of items) {
    const shaped = (s.normalise ? s.normalise(structuredClone(item)) : item) as Record<string, unknown>;
    if ((await s.observe(shaped, env)).managedBy === CONFIG_MANAGER) out.push(item);
  }
  return out;
}

const fields = (issues: readonly ConfigIssue[]) => issues.map((i) => ({ field: i.path, message: i.message }));

const record = (c: PlannedChange): ConfigChangeRecord => ({
  action: c.action as 'create' | 'update',
  resourceType: c.resourceType,
  resourceName: c.resourceName,
  checksum: c.checksum,
});

/**
 * Within a section, items that set a unique flag (`isDefault: true`) are written last: the write
 * that sets it clears it on the others, which must not move a stream the plan still has to write.
 */
function orderFlags(plan: PlannedChange[]): PlannedChange[] {
  const sets = (c: PlannedChange) => (c.item as { isDefault?: unknown }).isDefault === true;
  return plan
    .map((c, i) => ({ c, i }))
    .sort((a, b) =>
      a.c.section !== b.c.section ? a.i - b.i : Number(sets(a.c)) - Number(sets(b.c)) || a.i - b.i,
    )
    .map(({ c }) => c);
}

function report(plan: readonly PlannedChange[]): { summary: Summary; changes: ChangeEntry[] } {
  const summary: Summary = { created: {}, updated: {}, unchanged: {}, deleted: {} };
  const bucket = { create: summary.created, update: summary.updated, unchanged: summary.unchanged };
  const changes = plan.map((c) => {
    const b = bucket[c.action];
    b[c.resourceType] = (b[c.resourceType] ?? 0) + 1;
    return {
      action: c.action,
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      ...(c.changes ? { changes: c.changes } : {}),
      checksum: c.checksum,
    };
  });
  return { summary, changes };
}

interface ForeignRules {
  readonly force: boolean;
  readonly foreign: 'refuse' | 'skip';
  readonly manager: string;
}

/** What a changed resource that `manager` does not manage comes to (ApplyOptions `foreign`). */
function foreignVerdict(
  rules: ForeignRules,
  r: { path: string; type: string; key: string; observation: { managedBy?: string | undefined } },
): { warning?: string; conflict?: ConfigIssue; skip?: boolean } {
  const managedBy = r.observation.managedBy;
  if (managedBy === rules.manager) return {};
  const who = managedBy ? `managed by '${managedBy}'` : `not managed by ${rules.manager}`;
  const message = `${r.type} '${r.key}' exists and is ${who} (it was last changed outside config)`;
  if (rules.force) return { warning: `${r.path}: ${message}; taken over (force)` };
  if (rules.foreign === 'refuse')
    return { conflict: { path: r.path, message: `${message}; apply with force to take it over` } };
  // the original's words; it takes over an unmanaged one, which its uninstall would then delete
  const skipped = managedBy ? `is managed by '${managedBy}'` : `is not managed by '${rules.manager}'`;
  return { warning: `${r.path}: ${r.type} '${r.key}' exists but ${skipped}. Skipping.`, skip: true };
}
