/**
 * `spec.llmProviders` (reference §6.3): name, type, apiKey, endpoint, models. `apiKey` is write-only:
 * `${NAME}` is substituted from the environment, the value is compared with the stored one opened
 * in memory (so an unchanged key writes nothing), and it never appears in a checksum or change; an
 * export shows it only when asked to include secrets (`include_secrets`, reference §6.1).
 * `default_model` and `is_default` are not set from YAML.
 */
import { llmProviderKind } from '../../llm-provider/llm-provider-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import { direct, resourceSection, type KindItems } from './resource-section.js';

export function llmProvidersSection(
  service: ResourceService,
  items: KindItems,
  /** opens a stored (sealed) API key; undefined when it cannot be opened */
  openKey: (sealed: unknown) => string | undefined,
) {
  return resourceSection({
    name: 'llmProviders',
    resourceType: 'llmProvider',
    service,
    items,
    fields: [
      direct(llmProviderKind, 'provider_type', 'type'),
      direct(llmProviderKind, 'api_endpoint', 'endpoint'),
      {
        yaml: 'models',
        schema: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
        fallback: [],
        read: (spec) => (spec.config as { models?: unknown } | undefined)?.models,
        write: (models, current) => ({ config: { ...(current?.config as object | undefined), models } }),
      },
    ],
    writeOnly: {
      yaml: 'apiKey',
      field: 'api_key',
      schema: { type: 'string', minLength: 1, maxLength: 4096 },
      matches: (stored, plain) => stored != null && openKey(stored) === plain,
      reveal: openKey,
    },
    substitute: ['apiKey'],
  });
}
