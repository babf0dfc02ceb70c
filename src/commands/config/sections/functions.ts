/** `spec.functions`: the Function kind's fields; code must parse as Python, schemas must be JSON Schemas. */
import { functionKind } from '../../function/function-kind.js';
import { checkPythonSyntax } from '../../function/python-syntax.js';
import type { ResourceService } from '../../resource/resource-service.js';
import { ValidationError } from '../../../errors.js';
import { checkSchemaFields, direct, resourceSection, type KindItems } from './resource-section.js';

export function functionsSection(service: ResourceService, items: KindItems) {
  const f = (field: string) => direct(functionKind, field);
  return resourceSection({
    name: 'functions',
    resourceType: 'function',
    service,
    items,
    required: ['code'],
    fields: [
      f('description'),
      f('code'),
      f('input_schema'),
      f('output_schema'),
      f('icon'),
      f('timeout'),
      f('shared_pool'),
      f('requires_approval'),
    ],
    async check(item, path, env) {
      checkSchemaFields(item, path, env, ['inputSchema', 'outputSchema']);
      try {
        await checkPythonSyntax(String(item.code));
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        env.error(`${path}.code`, err.message.replace(/^code: /, ''));
      }
    },
  });
}
