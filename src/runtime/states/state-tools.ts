/**
 * The state tools as the model sees them (reference §4.1, §5.7): `list_state_keys` and
 * `retrieve_state` over every enabled store, `save_state` and `delete_state` over the readwrite
 * ones, and the original's legacy names for them. Each `store` argument is an enum of the stores the
 * tool may touch; the descriptions list the read-only and read-write stores with each store's
 * description, key schema and whether it is strict, so the model knows what it may keep where.
 */
import type { LlmTool } from '../llm/llm.js';
import type { FoundStore } from './state-rules.js';

export type StateOp = 'list' | 'retrieve' | 'save' | 'delete';

/** Every tool name the family answers to, with the operation it runs. */
export const STATE_TOOL_OPS: Readonly<Record<string, StateOp>> = {
  list_state_keys: 'list',
  retrieve_state: 'retrieve',
  save_state: 'save',
  delete_state: 'delete',
  update_state: 'save',
  save_context: 'save',
  update_context: 'save',
  retrieve_context: 'retrieve',
  delete_context: 'delete',
};

/** the status verb of each operation (`state:<tool>` falls back to "<Verb> state", §4.2) */
export const STATE_VERBS: Readonly<Record<StateOp, string>> = {
  list: 'Listing',
  retrieve: 'Retrieving',
  save: 'Saving',
  delete: 'Deleting',
};

export const storeRef = (s: FoundStore) => `${s.namespace}/${s.name}`;

const TAGS = { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 20 };
const KEY = { type: 'string', minLength: 1, maxLength: 255 };

export interface EnabledStores {
  readonly all: readonly FoundStore[];
  readonly writable: readonly FoundStore[];
}

/** The parameters of each operation, `store` limited to the stores it may use. */
export function parametersOf(op: StateOp, stores: EnabledStores): Record<string, unknown> {
  const enumOf = (list: readonly FoundStore[]) => ({ type: 'string', enum: list.map(storeRef) });
  const object = (properties: Record<string, unknown>, required: string[]) => ({
    type: 'object',
    properties,
    required,
    additionalProperties: false,
  });
  switch (op) {
    case 'list':
      return object(
        {
          store: enumOf(stores.all),
          tags: TAGS,
          search: { type: 'string', maxLength: 255 },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
        },
        [],
      );
    case 'retrieve':
      return object(
        {
          store: enumOf(stores.all),
          key: KEY,
          tags: TAGS,
          search: { type: 'string', maxLength: 255 },
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
        },
        ['store'],
      );
    case 'save':
      return object(
        {
          store: enumOf(stores.writable),
          key: KEY,
          value: {},
          description: { type: 'string', maxLength: 10_000 },
          tags: TAGS,
          visibility: { type: 'string', enum: ['private', 'shared'] },
        },
        ['store', 'key', 'value'],
      );
    case 'delete':
      return object({ store: enumOf(stores.writable), key: KEY }, ['store', 'key']);
    default: {
      const unreachable: never = op;
      throw new Error(`unknown state operation ${String(unreachable)}`);
    }
  }
}

const WHAT: Readonly<Record<StateOp, string>> = {
  list: 'List the keys kept in a store (or, without `store`, how many each store holds and their tags).',
  retrieve:
    'Retrieve states from a store: one `key`, or those matching `tags` or `search`, most relevant first.',
  save: 'Save a value under a key in a read-write store (creates it, or replaces the value you saved before).',
  delete: 'Delete a key you saved from a read-write store.',
};

/** The tool's description: what it does, then the stores it reaches. */
export function descriptionOf(op: StateOp, stores: EnabledStores, alias?: string): string {
  const writable = new Set(stores.writable.map(storeRef));
  const readOnly = stores.all.filter((s) => !writable.has(storeRef(s)));
  const lines = [alias ? `${WHAT[op]} (Legacy name of ${alias}.)` : WHAT[op]];
  if (readOnly.length) lines.push('Read-only stores:', ...readOnly.map(describeStore));
  if (stores.writable.length) lines.push('Read-write stores:', ...stores.writable.map(describeStore));
  return lines.join('\n');
}

function describeStore(s: FoundStore): string {
  const schema = s.spec.schema && Object.keys(s.spec.schema).length ? JSON.stringify(s.spec.schema) : 'none';
  const strict = s.spec.strict ? 'strict: only the schema’s keys, values validated' : 'not strict';
  return `- ${storeRef(s)}${s.spec.description ? `: ${s.spec.description}` : ''} (key schema: ${schema}; ${strict})`;
}

/** The tools for the chat's stores (none without a store; no writes without a readwrite one). */
export function stateTools(stores: EnabledStores): { name: string; op: StateOp; tool: LlmTool }[] {
  if (stores.all.length === 0) return [];
  const canonical: Record<StateOp, string> = {
    list: 'list_state_keys',
    retrieve: 'retrieve_state',
    save: 'save_state',
    delete: 'delete_state',
  };
  return Object.entries(STATE_TOOL_OPS)
    .filter(([, op]) => stores.writable.length > 0 || op === 'list' || op === 'retrieve')
    .map(([name, op]) => ({
      name,
      op,
      tool: {
        type: 'function' as const,
        function: {
          name,
          description: descriptionOf(op, stores, name === canonical[op] ? undefined : canonical[op]),
          parameters: parametersOf(op, stores),
        },
      },
    }));
}
