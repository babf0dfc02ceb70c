/**
 * A test-only kind, registered exactly as a real kind is (a `KindRegistration` beside `KINDS`) and
 * declared nowhere else: what the kit derives for it (service, routes, OpenAPI, read model, config
 * section, authorisation-matrix rows) is what a new kind gets from one registration.
 */
import type { ResourceKind } from '../../src/commands/resource/resource-kind.js';
import { kitSection, type KindRegistration } from '../../src/runtime/kind-registry.js';
import { KINDS } from '../../src/runtime/kinds.js';

export const testNoteKind: ResourceKind = {
  type: 'TestNote',
  category: 'testnote',
  table: 'test_notes',
  path: 'test-notes',
  // a catalogue resource no kind serves yet, which the default Users role holds `:own` CRUD on
  resource: 'skills',
  fields: {
    text: { type: 'string', maxLength: 1000, default: '' },
    pinned: { type: 'boolean', default: false },
  },
  namespacePattern: '^[a-z][a-z0-9_-]*$',
  namePattern: '^[a-z][a-z0-9_-]*$',
  nameMaxLength: 100,
};

export const testNoteRegistration: KindRegistration = {
  name: 'testNotes',
  kind: testNoteKind,
  config: kitSection('testNotes', 'testNote'),
  example: { create: { text: 'hello' }, update: { text: 'changed' } },
};

/** the platform's kinds and the test-only one */
export const KINDS_AND_TEST_NOTE: readonly KindRegistration[] = [...KINDS, testNoteRegistration];
