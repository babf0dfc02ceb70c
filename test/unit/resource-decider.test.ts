import { expect } from 'chai';
import { agentKind } from '../../src/commands/agent/agent-kind.js';
import { webhookKind } from '../../src/commands/webhook/webhook-kind.js';
import { fold } from '../../src/commands/decider.js';
import { resourceDecider, type ResourceCommand } from '../../src/commands/resource/decider.js';
import { AlreadyExistsError, NotFoundError } from '../../src/errors.js';
import type { ResourceEvent } from '../../src/events/resources/resource-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const decider = resourceDecider(agentKind);
const given = deciderSpec(decider);
const at = '2026-01-01T00:00:00.000Z';
const created: ResourceEvent = {
  type: 'AgentCreated',
  data: {
    id: 'id-1',
    namespace: 'ns',
    name: 'a',
    ownerId: 'u1',
    spec: { description: 'd', temperature: 0.7 },
    at,
  },
};
const create: ResourceCommand = {
  type: 'Create',
  id: 'id-1',
  namespace: 'ns',
  name: 'a',
  ownerId: 'u1',
  spec: { description: 'd', temperature: 0.7 },
  at,
};

describe('generic resource decider (Agent kind)', () => {
  it('creates a resource that does not exist', () => given([]).when(create).then([created]));

  it('refuses to create one that exists', () =>
    given([created])
      .when(create)
      .thenThrows(AlreadyExistsError, /already exists/));

  it('refuses a name in use as invalid input naming the key field where the kind says so (webhooks: path)', () => {
    const hook = { ...create, namespace: 'default', name: 'in/use', spec: { function_name: 'f' } };
    const { type: _t, ...data } = hook;
    deciderSpec(resourceDecider(webhookKind))([{ type: 'WebhookCreated', data }])
      .when(hook)
      .thenRefuses('validation_failed', 'path', /Webhook 'in\/use' already exists/);
  });

  it('creates again after a delete', () =>
    given([created, { type: 'AgentDeleted', data: { at } }])
      .when(create)
      .then([created]));

  it('records only the fields an update changes', () =>
    given([created])
      .when({ type: 'Update', patch: { description: 'd', temperature: 0.2, model: 'm' }, at })
      .then([
        {
          type: 'AgentUpdated',
          data: { changes: { temperature: 0.2, model: 'm' }, changed: ['temperature', 'model'], at },
        },
      ]));

  it('writes nothing for an update that changes nothing', () =>
    given([created])
      .when({ type: 'Update', patch: { description: 'd' }, at })
      .then([]));

  it('lets an update clear a field with null', () =>
    given([created])
      .when({ type: 'Update', patch: { description: null }, at })
      .then([
        { type: 'AgentUpdated', data: { changes: { description: null }, changed: ['description'], at } },
      ]));

  it('refuses to update or delete what does not exist or was deleted', () => {
    given([])
      .when({ type: 'Update', patch: { description: 'x' }, at })
      .thenThrows(NotFoundError);
    given([created, { type: 'AgentDeleted', data: { at } }])
      .when({ type: 'Delete', at })
      .thenThrows(NotFoundError);
  });

  it('folds updates into the state and ignores other kinds’ events', () => {
    const s = fold(decider, [
      created,
      {
        type: 'AgentUpdated',
        data: { changes: { description: 'e' }, changed: ['description'], at: '2026-01-02T00:00:00.000Z' },
      },
      {
        type: 'FunctionUpdated',
        data: { changes: { description: 'no' }, changed: ['description'], at },
      } as ResourceEvent,
    ]);
    expect(s).to.deep.include({
      status: 'active',
      spec: { description: 'e', temperature: 0.7 },
      updatedAt: '2026-01-02T00:00:00.000Z',
    });
  });
});
