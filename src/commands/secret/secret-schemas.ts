/** Request bodies of the secrets API (reference §5.1, §0.6); the routes and OpenAPI use the same objects. */
import type { JSONSchema } from '../validation.js';

export const SECRET_NAME: JSONSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
};
export const SECRET_VISIBILITY: JSONSchema = { type: 'string', enum: ['shared', 'private'] };
const VALUE: JSONSchema = { type: 'string', minLength: 1, maxLength: 65_536, writeOnly: true };
const DESCRIPTION: JSONSchema = { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] };

export interface CreateSecretInput {
  readonly name: string;
  readonly value: string;
  readonly description?: string | null;
  readonly visibility: 'shared' | 'private';
}

export interface UpdateSecretInput {
  readonly value?: string;
  readonly description?: string | null;
}

export const createSecretSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    name: SECRET_NAME,
    value: VALUE,
    description: DESCRIPTION,
    visibility: { ...SECRET_VISIBILITY, default: 'shared' },
  },
};

export const updateSecretSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { value: VALUE, description: DESCRIPTION },
};
