/**
 * Reads a SinasPackage YAML (reference §6.2) into what the config engine applies: the package's
 * metadata, and its spec as a SinasConfig document. Sections a package may not carry (roles, users,
 * llmProviders, databaseConnections: §6.4) are dropped with a warning each; everything else is left
 * to the config engine's own validation, so paths in its errors are the package's paths.
 */
import { parseDocument, stringify } from 'yaml';
import { ValidationError } from '../../errors.js';
import type { PackageMetadata } from '../../events/package-events.js';
import type { JSONSchema } from '../validation.js';
import { API_VERSION, KIND, schemaIssues } from '../config/config-document.js';

export const PACKAGE_KIND = 'SinasPackage';
/** sections a package never installs (§6.4) */
export const FORBIDDEN_SECTIONS = ['roles', 'users', 'llmProviders', 'databaseConnections'] as const;
export const PACKAGE_NAME: JSONSchema = {
  type: 'string',
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$',
  description: 'letters, digits, `_`, `.` and `-`',
};

export const PACKAGE_META: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: PACKAGE_NAME,
    version: { type: 'string', minLength: 1, maxLength: 50, default: '1.0.0' },
    description: { type: 'string', maxLength: 2000 },
    author: { type: 'string', maxLength: 200 },
    url: { type: 'string', maxLength: 2000 },
  },
};

const DOCUMENT: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'package'],
  properties: {
    apiVersion: { const: API_VERSION },
    kind: { const: PACKAGE_KIND },
    package: PACKAGE_META,
    metadata: { type: 'object' },
    spec: { type: 'object' },
  },
};

export interface PackageDocument {
  readonly meta: PackageMetadata;
  /** the package's installable sections as a SinasConfig YAML */
  readonly config: string;
  readonly warnings: readonly string[];
}

export function readPackage(source: string): PackageDocument {
  const doc = parseDocument(source, { uniqueKeys: true });
  if (doc.errors.length) throw invalid('source', doc.errors[0]!.message.split('\n')[0]!);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw invalid('source', `aliases expand the document too far (${err.message})`);
  }
  const issues = schemaIssues(DOCUMENT, root, '');
  if (issues.length) throw invalid(`source.${issues[0]!.path || 'root'}`, issues[0]!.message, issues);
  const r = root as { package: PackageMetadata; spec?: Record<string, unknown> };
  const spec = { ...(r.spec ?? {}) };
  const warnings: string[] = [];
  for (const s of FORBIDDEN_SECTIONS) {
    if (!(s in spec)) continue;
    delete spec[s];
    warnings.push(`spec.${s}: a package may not carry ${s}; the section was skipped`);
  }
  const meta = { ...r.package, version: r.package.version ?? '1.0.0' };
  const config = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: meta.name, ...(meta.description ? { description: meta.description } : {}) },
    spec,
  };
  return { meta, config: stringify(config, { lineWidth: 0 }), warnings };
}

/** A SinasPackage YAML around a spec (create and export). */
export function packageYaml(meta: PackageMetadata, spec: Record<string, unknown[]>): string {
  const doc = { apiVersion: API_VERSION, kind: PACKAGE_KIND, package: meta, spec };
  return stringify(doc, { lineWidth: 0 });
}

function invalid(field: string, message: string, all?: readonly { path: string; message: string }[]) {
  const errors = (all ?? [{ path: field, message }]).map((i) => ({
    field: i.path === field ? field : `source.${i.path || 'root'}`,
    message: i.message,
  }));
  return new ValidationError(`${field}: ${message}`, field, errors);
}
