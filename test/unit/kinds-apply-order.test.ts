/**
 * The kinds are registered in the config's apply order (reference §6.3), and the header of
 * src/runtime/kinds.ts states that order as it is.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { KINDS } from '../../src/runtime/kinds.js';

/** reference §6.3 "Apply order" */
const APPLY_ORDER = [
  'roles',
  'users',
  'llmProviders',
  'databaseConnections',
  'secrets',
  'dependencies',
  'connectors',
  'functions',
  'skills',
  'components',
  'queries',
  'collections',
  'templates',
  'stores',
  'manifests',
  'agents',
  'webhooks',
  'schedules',
  'databaseTriggers',
];
/** sections that are not kinds on the kit (sections/index.ts adds them) */
const NOT_KINDS = new Set(['roles', 'users', 'dependencies']);

describe('the kinds’ apply order', () => {
  it('registers the kinds with a config section in §6.3’s order', () => {
    const withSection = KINDS.filter((k) => k.config).map((k) => k.name);
    expect(withSection).to.deep.equal(APPLY_ORDER.filter((s) => !NOT_KINDS.has(s)));
  });

  it('states that order in the header of src/runtime/kinds.ts', () => {
    const text = readFileSync(new URL('../../src/runtime/kinds.ts', import.meta.url), 'utf8');
    const header = text.slice(0, text.indexOf('*/')).replace(/\s*\n\s*\*\s*/g, ' ');
    expect(header).to.contain(APPLY_ORDER.join(' → '));
  });
});
