/**
 * `spec.secrets` (reference §6.3): shared secrets, `name, value?, description?`, the Secret kind's
 * section on the kit. The value is write-only: `${NAME}` is substituted from the environment, it is
 * compared with the stored value opened in memory (an unchanged value writes nothing), and it is
 * never hashed, shown or exported. Omitting it leaves the stored value as it is; creating a secret
 * needs one.
 */
import { secretKind } from '../../secret/secret-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import { direct, resourceSection, type KindItems } from './resource-section.js';

export function secretsSection(
  service: ResourceService,
  items: KindItems,
  /** opens a stored value with its secret's data key; undefined when the key is gone */
  open: (secretId: string, value: unknown) => Promise<string | undefined>,
) {
  return resourceSection({
    name: 'secrets',
    resourceType: 'secret',
    service,
    items,
    namespace: 'shared',
    fields: [direct(secretKind, 'description')],
    writeOnly: {
      yaml: 'value',
      field: 'value',
      schema: { type: 'string', minLength: 1, maxLength: 65_536 },
      matches: async (stored, plain, id) => (await open(id, stored)) === plain,
      requiredOnCreate: true,
    },
    substitute: ['value'],
  });
}
