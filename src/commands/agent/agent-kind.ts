/** The Agent resource kind: fields and name rules of the reference §2.1 and §0.6. */
import type { JSONSchema } from '../validation.js';
import { iconField } from '../resource/icon-field.js';
import type { ResourceKind } from '../resource/resource-kind.js';

const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });
const REF = '^[a-zA-Z_][a-zA-Z0-9_-]*/[a-zA-Z_][a-zA-Z0-9_ ():-]*$';
const ref: JSONSchema = { type: 'string', pattern: REF, maxLength: 511 };
const refList: JSONSchema = { type: 'array', items: ref, default: [] };
const paramMap: JSONSchema = {
  type: 'object',
  propertyNames: { pattern: REF },
  additionalProperties: { type: 'object' },
  default: {},
};
const access: JSONSchema = { type: 'string', enum: ['readonly', 'readwrite'], default: 'readonly' };
const hook: JSONSchema = {
  type: 'object',
  required: ['function'],
  additionalProperties: false,
  properties: {
    function: ref,
    async: { type: 'boolean', default: false },
    async_: { type: 'boolean' },
    on_timeout: { type: 'string', enum: ['block', 'passthrough'], default: 'passthrough' },
  },
};

export const AGENT_FIELDS: Readonly<Record<string, JSONSchema>> = {
  description: nullable({ type: 'string', maxLength: 10_000 }),
  llm_provider_id: nullable({ type: 'string', format: 'uuid' }),
  model: nullable({ type: 'string', minLength: 1, maxLength: 100 }),
  temperature: { type: 'number', minimum: 0, maximum: 2, default: 0.7 },
  max_tokens: nullable({ type: 'integer', minimum: 1, maximum: 10_000_000 }),
  system_prompt: nullable({ type: 'string', maxLength: 200_000 }),
  input_schema: { type: 'object', default: {} },
  output_schema: { type: 'object', default: {} },
  initial_messages: nullable({
    type: 'array',
    items: {
      type: 'object',
      required: ['role', 'content'],
      additionalProperties: false,
      properties: {
        role: { type: 'string', enum: ['system', 'user', 'assistant'] },
        content: { type: 'string', maxLength: 200_000 },
      },
    },
  }),
  enabled_functions: refList,
  enabled_agents: {
    type: 'array',
    default: [],
    items: {
      anyOf: [
        {
          type: 'string',
          pattern: '^(\\*|[a-zA-Z][a-zA-Z0-9_-]*)/(\\*|[a-zA-Z][a-zA-Z0-9 _\\-():]*)$',
          maxLength: 511,
        },
        { type: 'string', format: 'uuid' },
      ],
    },
  },
  enabled_skills: {
    type: 'array',
    default: [],
    items: {
      type: 'object',
      required: ['skill'],
      additionalProperties: false,
      properties: { skill: ref, preload: { type: 'boolean', default: false } },
    },
  },
  function_parameters: paramMap,
  status_templates: {
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 2000 },
    default: {},
  },
  enabled_queries: refList,
  query_parameters: paramMap,
  enabled_stores: {
    type: 'array',
    default: [],
    items: {
      type: 'object',
      required: ['store'],
      additionalProperties: false,
      properties: { store: ref, access },
    },
  },
  enabled_collections: {
    type: 'array',
    default: [],
    items: {
      type: 'object',
      required: ['collection'],
      additionalProperties: false,
      properties: { collection: ref, access },
    },
  },
  enabled_components: refList,
  enabled_connectors: {
    type: 'array',
    default: [],
    items: {
      type: 'object',
      required: ['connector'],
      additionalProperties: false,
      properties: {
        connector: ref,
        operations: {
          type: 'array',
          items: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_-]*$', maxLength: 255 },
        },
        parameters: { type: 'object', additionalProperties: { type: 'object' } },
      },
    },
  },
  hooks: nullable({
    type: 'object',
    additionalProperties: false,
    properties: {
      on_user_message: { type: 'array', items: hook, default: [] },
      on_assistant_message: { type: 'array', items: hook, default: [] },
    },
  }),
  icon: iconField,
  default_job_timeout: nullable({ type: 'integer', minimum: 1, maximum: 86_400 }),
  default_keep_alive: { type: 'boolean', default: false },
  system_tools: {
    type: 'array',
    default: [],
    items: {
      anyOf: [
        { type: 'string', enum: ['codeExecution', 'packageManagement', 'configIntrospection'] },
        {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: {
              type: 'string',
              enum: ['codeExecution', 'packageManagement', 'configIntrospection', 'databaseIntrospection'],
            },
            connections: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255 } },
          },
        },
      ],
    },
  },
  is_default: { type: 'boolean', default: false },
  /** what a message sent while a turn runs does: wait its turn, get a 409, or cancel the running turn */
  message_policy: { type: 'string', enum: ['enqueue', 'reject', 'interrupt'], default: 'enqueue' },
};

export const agentKind: ResourceKind = {
  type: 'Agent',
  category: 'agent',
  table: 'agents',
  path: 'agents',
  resource: 'agents',
  fields: AGENT_FIELDS,
  namespacePattern: '^[a-zA-Z][a-zA-Z0-9_-]*$',
  namePattern: '^[a-zA-Z][a-zA-Z0-9 _\\-():]*$',
  nameMaxLength: 255,
  uniqueFlags: ['is_default'],
};

/** Agent-specific checks beyond the schema: the user-supplied schemas must be valid JSON Schemas. */
export const AGENT_SCHEMA_FIELDS = ['input_schema', 'output_schema'] as const;
