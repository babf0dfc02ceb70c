/**
 * `spec.secrets` (reference §6.3): shared secrets, `name, value?, description?`. The value is
 * write-only: `${NAME}` is substituted from the environment, it is compared with the stored value
 * opened in memory (an unchanged value writes nothing), and it is never hashed, shown or exported.
 * Omitting it leaves the stored value as it is; creating a secret needs one.
 */
import type { Sealed } from '../../../runtime/cipher.js';
import type { EventStore } from '../../../events/event-store.js';
import { secretStream } from '../../../events/secret-events.js';
import { upcast } from '../../../events/upcasters.js';
import type { SecretQueries } from '../../../projections/secret-queries.js';
import { foldRecorded } from '../../command-handler.js';
import { secretDecider } from '../../secret/secret-decider.js';
import { SECRET_NAME } from '../../secret/secret-schemas.js';
import type { SecretService } from '../../secret/secret-service.js';
import type { ConfigSection, Observation } from '../config-section.js';
import { managedByOf } from '../ownership.js';

export interface SecretItem {
  readonly name: string;
  readonly value?: string;
  readonly description?: string | null;
}

export function secretsSection(
  secrets: SecretService,
  store: EventStore,
  queries: SecretQueries,
  /** opens a stored value with its secret's data key; undefined when the key is gone */
  open: (secretId: string, value: Sealed) => Promise<string | undefined>,
): ConfigSection<SecretItem> {
  const admin = { userId: 'system', isAdmin: true };
  const stream = (name: string) => secretStream('shared', '', name);
  const shared = async () => {
    const out = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await queries.list(admin, { skip, limit: 1000, visibility: 'shared' });
      out.push(...page.rows);
      if (page.rows.length < 1000) return out;
    }
  };
  return {
    name: 'secrets',
    resourceType: 'secret',
    keyField: 'name',
    substitute: ['value'],
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: SECRET_NAME,
        value: { type: 'string', minLength: 1, maxLength: 65_536 },
        description: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] },
      },
    },
    key: (item) => item.name,
    desired: (item) => ({ description: item.description ?? null }),
    existing: async () => new Set((await shared()).map((s) => s.name)),
    async observe(item): Promise<Observation> {
      const events = (await store.readStream(stream(item.name))).map(upcast);
      const { state, revision } = foldRecorded(secretDecider, events);
      const managedBy = managedByOf(events);
      const base = { stream: stream(item.name), revision, ...(managedBy ? { managedBy } : {}) };
      if (state.status !== 'active') return { exists: false, ...base };
      const changed =
        item.value === undefined
          ? {}
          : { writeOnlyChanged: (await open(state.secretId, state.value)) !== item.value };
      return { exists: true, ...base, fields: { description: state.description }, ...changed };
    },
    planIssues: (item, obs) =>
      !obs.exists && item.value === undefined ? 'value: a new secret needs a value' : undefined,
    async write(change, env) {
      const item = change.item as SecretItem;
      const ctx = { ...env.context(change), expectedRevision: change.observation.revision ?? -1n };
      const description = { description: item.description ?? null };
      if (change.action === 'create') {
        const body = { name: item.name, value: item.value, visibility: 'shared', ...description };
        return (await secrets.put(body, env.caller, ctx)).position;
      }
      const value = change.observation.writeOnlyChanged ? { value: item.value } : {};
      return (await secrets.update(item.name, { ...value, ...description }, env.caller, ctx, 'shared'))
        .position;
    },
    async exportAll() {
      return (await shared()).map((s) => ({
        name: s.name,
        ...(s.description !== null ? { description: s.description } : {}),
      }));
    },
  };
}
