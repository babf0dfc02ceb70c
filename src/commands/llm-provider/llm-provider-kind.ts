/** The LLM provider resource kind (reference §5.5): OpenAI-compatible endpoints, admin-only. */
import type { ResourceKind } from '../resource/resource-kind.js';

export const llmProviderKind: ResourceKind = {
  type: 'LlmProvider',
  category: 'llmprovider',
  table: 'llm_providers',
  path: 'llm-providers',
  resource: 'llm_providers',
  adminOnly: true,
  namespaced: false,
  fields: {
    provider_type: { type: 'string', enum: ['openai', 'ollama', 'mistral', 'anthropic'], default: 'openai' },
    api_key: { anyOf: [{ type: 'string', minLength: 1, maxLength: 4096 }, { type: 'null' }] },
    api_endpoint: {
      anyOf: [{ type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 }, { type: 'null' }],
    },
    default_model: { anyOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'null' }] },
    config: {
      type: 'object',
      properties: { models: { type: 'array', items: { type: 'string', maxLength: 200 } } },
      default: {},
    },
    is_default: { type: 'boolean', default: false },
  },
  namespacePattern: '^default$',
  namePattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$',
  nameMaxLength: 100,
  uniqueFlags: ['is_default'],
  // the original's PATCH and DELETE take the provider's id, its GET the name: both work on each
  alsoById: true,
  writeOnlyFields: ['api_key'],
};
