/**
 * Reads a SinasConfig YAML document (reference §6.2) and checks it without touching the platform's
 * state: YAML syntax, the document's shape, each item against its section's schema (defaults filled
 * in, shorthands normalised), duplicate keys, `${NAME}` variables, and each section's own checks
 * (references resolved against the config and the platform, Python syntax, permission grammar).
 * Every problem is reported with its path; nothing stops at the first.
 */
import { parseDocument, type Document } from 'yaml';
import type { ErrorObject } from 'ajv';
import { ValidationError } from '../../errors.js';
import { checkInput } from '../input-limits.js';
import { compile, type JSONSchema } from '../validation.js';
import type { CheckEnv, ConfigIssue, ConfigSection } from './config-section.js';
import { joinPath } from './config-section.js';
import { substituteEnv } from './env-substitution.js';

export const API_VERSION = 'sinas.co/v1';
export const KIND = 'SinasConfig';

export interface ConfigItem {
  readonly section: ConfigSection;
  readonly path: string;
  readonly key: string;
  /** validated, defaults filled, `${NAME}` substituted (write-only values in plaintext: keep it in memory) */
  readonly item: Record<string, unknown>;
}

export interface ReadConfig {
  readonly name: string | undefined;
  readonly items: readonly ConfigItem[];
  readonly errors: ConfigIssue[];
  readonly warnings: ConfigIssue[];
}

export interface ReadOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** the platform's keys of a section (cached per read) */
  readonly existing: (section: ConfigSection) => Promise<ReadonlySet<string>>;
}

function documentSchema(sections: readonly ConfigSection[]): JSONSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', 'metadata'],
    properties: {
      apiVersion: { const: API_VERSION },
      kind: { const: KIND },
      metadata: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' },
          description: { type: 'string', maxLength: 2000 },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      spec: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(sections.map((s) => [s.name, { type: 'array' }])),
      },
    },
  };
}

const documentSchemas = new WeakMap<readonly ConfigSection[], JSONSchema>();

export function schemaIssues(schema: JSONSchema, value: unknown, base: string): ConfigIssue[] {
  const v = compile(schema);
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => issueOf(e, base));
}

function issueOf(e: ErrorObject, base: string): ConfigIssue {
  const p = e.params as Record<string, unknown>;
  const at = (extra?: string) =>
    joinPath(base, [...e.instancePath.split('/').filter(Boolean), ...(extra ? [extra] : [])]).replace(
      /^\./,
      '',
    );
  if (e.keyword === 'additionalProperties')
    return { path: at(String(p.additionalProperty)), message: 'unknown field' };
  if (e.keyword === 'required') return { path: at(String(p.missingProperty)), message: 'is required' };
  if (e.keyword === 'const') return { path: at(), message: `must be ${JSON.stringify(p.allowedValue)}` };
  if (e.keyword === 'enum')
    return {
      path: at(),
      message: `must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`,
    };
  return { path: at(), message: e.message ?? 'is invalid' };
}

export async function readConfig(
  text: string,
  sections: readonly ConfigSection[],
  o: ReadOptions,
): Promise<ReadConfig> {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  for (const e of doc.errors) errors.push({ path: 'root', message: e.message.split('\n')[0]! });
  if (errors.length) return { name: undefined, items: [], errors, warnings };
  const root = plainValue(doc, errors);
  if (errors.length) return { name: undefined, items: [], errors, warnings };
  let schema = documentSchemas.get(sections);
  if (!schema) documentSchemas.set(sections, (schema = documentSchema(sections)));
  const shape = schemaIssues(schema, root, '');
  for (const i of shape) errors.push({ ...i, path: i.path || 'root' });
  if (errors.length) return { name: undefined, items: [], errors, warnings };
  const r = root as { metadata: { name: string }; spec?: Record<string, unknown[]> };
  const items = itemsOf(r.spec ?? {}, sections, o.env, errors, warnings);
  await checkItems(items, sections, o, errors, warnings);
  return { name: r.metadata.name, items, errors, warnings };
}

/** The document as plain data within the input limits; an alias bomb or unstorable text is an issue. */
function plainValue(doc: Document, errors: ConfigIssue[]): unknown {
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    errors.push({ path: 'root', message: `aliases expand the document too far (${err.message})` });
    return undefined;
  }
  try {
    checkInput(root);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors.push({ path: err.field && err.field !== 'body' ? err.field : 'root', message: err.message });
  }
  return root;
}

/** yaml's bound on alias expansion (nodes an alias may stand for, relative to the document) */
const MAX_ALIASES = 100;

function itemsOf(
  spec: Record<string, unknown[]>,
  sections: readonly ConfigSection[],
  env: Readonly<Record<string, string | undefined>>,
  errors: ConfigIssue[],
  warnings: ConfigIssue[],
): ConfigItem[] {
  const items: ConfigItem[] = [];
  for (const section of sections) {
    const seen = new Map<string, string>();
    for (const [i, raw] of (spec[section.name] ?? []).entries()) {
      const path = `spec.${section.name}[${i}]`;
      const item = (
        section.normalise ? section.normalise(structuredClone(raw)) : structuredClone(raw)
      ) as Record<string, unknown>;
      const issues = schemaIssues(section.schema, item, path);
      if (issues.length) {
        errors.push(...issues);
        continue;
      }
      const key = section.key(item);
      const first = seen.get(key);
      if (first)
        errors.push({
          path: `${path}.${section.keyField}`,
          message: `'${key}' is already defined at ${first}`,
        });
      seen.set(key, path);
      if (section.notApplied) {
        warnings.push({ path, message: section.notApplied(item) });
        continue;
      }
      for (const field of section.substitute ?? []) {
        if (typeof item[field] !== 'string') continue;
        const s = substituteEnv(item[field] as string, env);
        for (const name of s.missing)
          errors.push({ path: `${path}.${field}`, message: `the environment variable ${name} is not set` });
        if (!s.referenced)
          warnings.push({
            path: `${path}.${field}`,
            message: 'a literal value in a config file; prefer ${ENV_VAR}',
          });
        item[field] = s.value;
      }
      items.push({ section, path, key, item });
    }
  }
  return items;
}

async function checkItems(
  items: readonly ConfigItem[],
  sections: readonly ConfigSection[],
  o: ReadOptions,
  errors: ConfigIssue[],
  warnings: ConfigIssue[],
): Promise<void> {
  const inConfig = new Map(sections.map((s) => [s.name, new Set<string>()]));
  for (const i of items) inConfig.get(i.section.name)!.add(i.key);
  const env: CheckEnv = {
    env: o.env,
    error: (path, message) => errors.push({ path, message }),
    warn: (path, message) => warnings.push({ path, message }),
    async exists(name, key) {
      if (inConfig.get(name)?.has(key)) return true;
      const section = sections.find((s) => s.name === name);
      return section ? (await o.existing(section)).has(key) : false;
    },
  };
  for (const i of items) await i.section.check?.(i.item, i.path, env);
}
