/**
 * Packages (reference §5.13, §6): install, preview and uninstall through the config engine. An
 * install applies the package's spec as a config whose resources are managed by `pkg:<name>`
 * (a resource it does not manage is skipped with a warning, as the original skips one another
 * config or package manages; `force` takes it over), then
 * deletes what an earlier version managed and this one dropped, and records the package in
 * `package-<name>`. Uninstall deletes exactly the resources the package still manages: one a user
 * changed since (detached) or never the package's stays. Package operations run one at a time per
 * process; the package stream's expected revision guards against another process.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../errors.js';
import { settled } from '../../expected-errors.js';
import type { EventStore } from '../../events/event-store.js';
import {
  packageManager,
  packageStream,
  type PackageEvent,
  type PackageMetadata,
  type PackageResource,
} from '../../events/package-events.js';
import type { CommandContext } from '../command-handler.js';
import { canonicalJson } from '../config/checksum.js';
import type { ApplyResult, Caller, ConfigService } from '../config/config-service.js';
import { readPackage } from './package-document.js';
import { packageState } from './package-state.js';

export interface PackageServiceDeps {
  readonly config: ConfigService;
  readonly store: EventStore;
  /** waits (bounded) until the packages read model has every event written so far */
  readonly settle: () => Promise<boolean>;
  readonly now?: () => Date;
}

export interface InstallResult {
  readonly package: PackageMetadata & { readonly resources: readonly PackageResource[] };
  readonly apply: ApplyResult;
  /** resources an earlier version managed that this one dropped: deleted (preview: would be) */
  readonly removed: readonly PackageResource[];
}

const sameRef = (a: PackageResource, b: PackageResource) =>
  a.section === b.section && a.resourceName === b.resourceName;

export class PackageService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PackageServiceDeps) {}

  install(source: string, caller: Caller, o: { force?: boolean; applyId?: string } = {}) {
    return this.serial(() => this.installNow(source, caller, { ...o, dryRun: false }));
  }

  /** The package checked as an install would check it (document, sections, references); nothing is written. */
  async validate(source: string) {
    const doc = readPackage(source);
    const r = await this.deps.config.validate(doc.config);
    const show = (i: { path: string; message: string }) => `${i.path}: ${i.message}`;
    return {
      valid: r.valid,
      package: doc.meta,
      errors: r.errors.map(show),
      warnings: [...doc.warnings, ...r.warnings.map(show)],
    };
  }

  /** What an install would do; nothing is written. */
  preview(source: string, caller: Caller, o: { force?: boolean } = {}) {
    return this.serial(() => this.installNow(source, caller, { ...o, dryRun: true }));
  }

  uninstall(name: string, caller: Caller) {
    return this.serial(() => this.uninstallNow(name, caller));
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const p = this.queue.then(run);
    this.queue = settled(p); // the queue only orders operations: each caller sees its own failure
    return p;
  }

  private async installNow(
    source: string,
    caller: Caller,
    o: { dryRun: boolean; force?: boolean; applyId?: string },
  ): Promise<InstallResult> {
    const doc = readPackage(source);
    const manager = packageManager(doc.meta.name);
    const stream = packageStream(doc.meta.name);
    const events = await this.deps.store.readStream(stream);
    const before = packageState(events);
    const previous = before.status === 'installed' ? before.resources : [];
    const applied = await this.deps.config.apply(
      doc.config,
      {
        dryRun: o.dryRun,
        force: o.force === true,
        manager,
        foreign: 'skip',
        ...(o.applyId ? { applyId: o.applyId } : {}),
      },
      caller,
    );
    const apply = { ...applied, warnings: [...doc.warnings, ...applied.warnings] };
    const resources = this.managed(applied, previous);
    const dropped = previous.filter((p) => !resources.some((r) => sameRef(r, p)));
    const pkg = { ...doc.meta, resources };
    if (o.dryRun || !applied.success) return { package: pkg, apply, removed: dropped };
    const ctx = this.context(caller, apply.applyId, 'drop');
    const removed = await this.removeAll(dropped, manager, ctx);
    const changed =
      before.status !== 'installed' ||
      removed.length > 0 ||
      applied.changes.some((c) => c.action !== 'unchanged') ||
      canonicalJson(before.meta) !== canonicalJson(doc.meta) ||
      canonicalJson(previous) !== canonicalJson(resources);
    if (changed) {
      const event: PackageEvent = {
        type: 'PackageInstalled',
        data: { ...doc.meta, resources, removed, by: caller.userId, at: this.at() },
      };
      await this.record(stream, event, events.length, apply.applyId, caller);
    }
    return { package: pkg, apply: withDeleted(apply, removed), removed };
  }

  /** What the package manages after an apply: what it wrote now, and what it managed and left unchanged. */
  private managed(applied: ApplyResult, previous: readonly PackageResource[]): PackageResource[] {
    const sections = this.deps.config.sections;
    return applied.changes.flatMap((c) => {
      const section = sections.find((s) => s.resourceType === c.resourceType)!;
      const ref = { section: section.name, resourceType: c.resourceType, resourceName: c.resourceName };
      const ours = c.action !== 'unchanged' || previous.some((p) => sameRef(p, ref));
      return ours ? [ref] : [];
    });
  }

  private async uninstallNow(name: string, caller: Caller) {
    const stream = packageStream(name);
    const events = await this.deps.store.readStream(stream);
    const state = packageState(events);
    if (state.status !== 'installed') throw new NotFoundError(`package '${name}' is not installed`, 'name');
    const correlation = randomUUID();
    const removed = await this.removeAll(
      state.resources,
      packageManager(name),
      this.context(caller, correlation, 'uninstall'),
    );
    const event: PackageEvent = {
      type: 'PackageUninstalled',
      data: { name, removed, by: caller.userId, at: this.at() },
    };
    const position = await this.record(stream, event, events.length, correlation, caller);
    await this.deps.settle();
    return { removed, position };
  }

  /** Deletes, dependants first (reverse apply order), what `manager` still manages of `refs`. */
  private async removeAll(
    refs: readonly PackageResource[],
    manager: string,
    ctx: (r: PackageResource) => CommandContext,
  ): Promise<PackageResource[]> {
    const sections = this.deps.config.sections;
    const order = (r: PackageResource) => sections.findIndex((s) => s.name === r.section);
    const removed: PackageResource[] = [];
    for (const r of [...refs].sort((a, b) => order(b) - order(a))) {
      const section = sections.find((s) => s.name === r.section);
      const outcome = await section?.remove?.(r.resourceName, manager, ctx(r));
      if (outcome?.outcome === 'removed') removed.push(r);
    }
    return removed;
  }

  private context(caller: Caller, correlationId: string, what: string) {
    return (r: PackageResource): CommandContext => ({
      commandId: `package:${correlationId}:${what}:${r.section}:${r.resourceName}`,
      actor: caller.userId,
      correlationId,
    });
  }

  private async record(stream: string, event: PackageEvent, length: number, id: string, caller: Caller) {
    const r = await this.deps.store.append(
      stream,
      [
        {
          id: randomUUID(),
          type: event.type,
          data: event.data as unknown as Record<string, unknown>,
          metadata: { correlationId: id, causationId: id, actor: caller.userId, version: 1 },
        },
      ],
      length === 0 ? 'no_stream' : BigInt(length - 1),
    );
    await this.deps.settle();
    return r.position;
  }

  private at(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

function withDeleted(apply: ApplyResult, removed: readonly PackageResource[]): ApplyResult {
  const deleted: Record<string, number> = {};
  for (const r of removed) deleted[r.resourceType] = (deleted[r.resourceType] ?? 0) + 1;
  return { ...apply, summary: { ...apply.summary, deleted } };
}
