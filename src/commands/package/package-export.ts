/**
 * A SinasPackage YAML built from resources on the platform (reference §5.13 `create`, and the export
 * of an installed package): each resource exported by its config section exactly as a config export
 * writes it, so the YAML installs back unchanged. Write-only values (secret values) are left out.
 */
import { ValidationError } from '../../errors.js';
import type { PackageMetadata, PackageResource } from '../../events/package-events.js';
import type { ConfigSection } from '../config/config-section.js';
import { FORBIDDEN_SECTIONS, packageYaml } from './package-document.js';

export interface ResourceRef {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
}

/** The sections a package may carry, by section name or change-list type ('functions' or 'function'). */
export function sectionOfType(sections: readonly ConfigSection[], type: string): ConfigSection | undefined {
  const forbidden = (n: string) => (FORBIDDEN_SECTIONS as readonly string[]).includes(n);
  return sections.find(
    (s) =>
      !forbidden(s.name) &&
      (s.name === type || s.resourceType === type || camelType(s.resourceType) === type),
  );
}

/** 'databaseTrigger' → 'database_trigger' (the reference's snake_case type names) */
const camelType = (t: string) => t.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Resolves `create`'s references to package resources; an unknown type or resource names its field. */
export async function resolveRefs(
  sections: readonly ConfigSection[],
  refs: readonly ResourceRef[],
): Promise<PackageResource[]> {
  const out: PackageResource[] = [];
  for (const [i, r] of refs.entries()) {
    const section = sectionOfType(sections, r.type);
    if (!section)
      throw new ValidationError(
        `resources[${i}].type: '${r.type}' cannot go in a package`,
        `resources[${i}].type`,
      );
    const existing = await section.existing();
    const key = [`${r.namespace ?? 'default'}/${r.name}`, r.name].find((k) => existing.has(k));
    if (!key)
      throw new ValidationError(
        `resources[${i}].name: ${section.resourceType} '${r.namespace ?? 'default'}/${r.name}' does not exist`,
        `resources[${i}].name`,
      );
    if (!out.some((o) => o.section === section.name && o.resourceName === key))
      out.push({ section: section.name, resourceType: section.resourceType, resourceName: key });
  }
  return out;
}

export async function exportPackage(
  sections: readonly ConfigSection[],
  meta: PackageMetadata,
  resources: readonly PackageResource[],
): Promise<string> {
  const spec: Record<string, unknown[]> = {};
  for (const section of sections) {
    const keys = new Set(resources.filter((r) => r.section === section.name).map((r) => r.resourceName));
    if (keys.size === 0) continue;
    const items = (await section.exportAll()).filter((item) => keys.has(section.key(item)));
    if (items.length) spec[section.name] = items;
  }
  return packageYaml(meta, spec);
}
