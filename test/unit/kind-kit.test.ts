/**
 * The kit derives a kind from its one definition: a test-only `Note` kind, declared here and
 * nowhere else, gets its routes, OpenAPI, config section, read-model table and lifecycle events.
 */
import { expect } from 'chai';
import type pg from 'pg';
import type { CommandHandler } from '../../src/commands/command-handler.js';
import { direct, resourceSection } from '../../src/commands/config/sections/resource-section.js';
import { resourceDecider } from '../../src/commands/resource/decider.js';
import type { ResourceKind } from '../../src/commands/resource/resource-kind.js';
import { ResourceService } from '../../src/commands/resource/resource-service.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { registerResourceRoutes } from '../../src/http/resources.js';
import { RouteRegistry } from '../../src/http/routes.js';
import { ResourceQueries } from '../../src/projections/resource-queries.js';
import { resourceProjection } from '../../src/projections/resources.js';
import type { ProjectionWaiter } from '../../src/projections/waiter.js';
import { deciderSpec } from '../support/decider-spec.js';

const noteKind: ResourceKind = {
  type: 'Note',
  category: 'note',
  table: 'notes',
  path: 'notes',
  resource: 'notes',
  fields: {
    text: { type: 'string', maxLength: 1000, default: '' },
    pinned: { type: 'boolean', default: false },
  },
  namespacePattern: '^[a-z]+$',
  namePattern: '^[a-z]+$',
  nameMaxLength: 50,
};

/** nothing here is called: registering routes and deriving schemas touch no port */
const service = new ResourceService(noteKind, {} as EventStore, {} as CommandHandler, async () => []);

describe('the kind kit (a test-only Note kind)', () => {
  it('derives its management routes, with OpenAPI request and response schemas', () => {
    const registry = new RouteRegistry();
    registerResourceRoutes(registry, {
      service,
      queries: new ResourceQueries({} as pg.Pool),
      waiter: {} as ProjectionWaiter,
      consistencyTimeoutMs: 0,
    });
    expect(registry.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`)).to.have.members([
      'POST /api/v1/notes',
      'GET /api/v1/notes',
      'GET /api/v1/notes/:namespace/:name',
      'PUT /api/v1/notes/:namespace/:name',
      'PATCH /api/v1/notes/:namespace/:name',
      'DELETE /api/v1/notes/:namespace/:name',
      'GET /api/v1/notes/:namespace/:name/versions',
    ]);
    expect(registry.routes.every((r) => r.access !== undefined)).to.equal(true);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading a generated JSON document
    const doc = openApiDocument(registry, 'test') as { paths: Record<string, Record<string, any>> };
    const create = doc.paths['/api/v1/notes']!.post;
    expect(create.tags).to.deep.equal(['Note']);
    const body = create.requestBody.content['application/json'].schema;
    expect(body.properties).to.have.keys('namespace', 'name', 'text', 'pinned');
    expect(body.required).to.deep.equal(['name']);
    const shown = create.responses['201'].content['application/json'].schema.properties;
    expect(shown).to.include.keys('id', 'user_id', 'text', 'pinned', 'version', 'is_active');
  });

  it('derives its config section from the same field schemas', () => {
    const section = resourceSection({
      name: 'notes',
      resourceType: 'note',
      service,
      items: async () => [],
      fields: [direct(noteKind, 'text'), direct(noteKind, 'pinned')],
    });
    expect((section.schema as { properties: object }).properties).to.have.keys(
      'namespace',
      'name',
      'text',
      'pinned',
    );
    expect(section.key({ namespace: 'a', name: 'b' })).to.equal('a/b');
    expect(section.desired({ name: 'b', text: 'hi' })).to.deep.equal({ text: 'hi', pinned: false });
  });

  it('derives its read model and its lifecycle events', () => {
    const ddl = resourceProjection(noteKind).createTables({ notes: 'notes' });
    expect(ddl)
      .to.match(/CREATE TABLE IF NOT EXISTS notes/)
      .and.match(/spec jsonb NOT NULL/);
    const at = '2026-01-01T00:00:00.000Z';
    const created = {
      type: 'NoteCreated',
      data: { id: 'n1', namespace: 'a', name: 'b', ownerId: 'u', spec: { text: 't' }, at },
    } as const;
    const given = deciderSpec(resourceDecider(noteKind));
    given([])
      .when({ type: 'Create', id: 'n1', namespace: 'a', name: 'b', ownerId: 'u', spec: { text: 't' }, at })
      .then([created]);
    given([created])
      .when({ type: 'Update', patch: { pinned: true }, at })
      .then([{ type: 'NoteUpdated', data: { changes: { pinned: true }, changed: ['pinned'], at } }]);
  });
});
