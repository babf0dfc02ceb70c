/**
 * `spec.dependencies` (reference §6.3): `packageName, version?`, the Python packages a config asks
 * the platform to install for its functions. This platform installs none (functions run with the
 * packages of the runner's image, and `GET /api/v1/dependencies` lists none), so the section is
 * checked and each item answered with a warning that it was not installed; nothing is written,
 * nothing is counted in the change list, and an export has no such section.
 */
import type { ConfigSection } from '../config-section.js';

interface Dependency {
  readonly packageName: string;
  readonly version?: string;
}

export function dependenciesSection(): ConfigSection<Dependency> {
  return {
    name: 'dependencies',
    resourceType: 'dependency',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['packageName'],
      properties: {
        packageName: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 200 },
        version: { type: 'string', minLength: 1, maxLength: 100 },
      },
    },
    notApplied: (d) =>
      `'${d.packageName}' is not installed: this platform installs no Python packages ` +
      '(functions run with the packages of the runner image)',
    keyField: 'packageName',
    key: (d) => d.packageName,
    desired: (d) => ({ packageName: d.packageName, version: d.version ?? null }),
    existing: () => Promise.resolve(new Set<string>()),
    observe: () => Promise.reject(new Error('dependencies are never planned')),
    write: () => Promise.reject(new Error('dependencies are never written')),
    exportAll: () => Promise.resolve([]),
  };
}
