/** Request bodies of the chat endpoints (reference §3.2-§3.4), as JSON Schemas for ajv and OpenAPI. */
import type { JSONSchema } from '../validation.js';

const contentPart: JSONSchema = {
  type: 'object',
  required: ['type', 'text'],
  additionalProperties: false,
  properties: { type: { const: 'text' }, text: { type: 'string', maxLength: 200_000 } },
};

export const messageContent: JSONSchema = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 200_000 },
    { type: 'array', minItems: 1, items: contentPart },
  ],
};

export const createChatBody: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input: { type: 'object' },
    title: { type: 'string', minLength: 1, maxLength: 500 },
    /** seconds (at most ten years) */
    expires_in: { type: 'integer', minimum: 1, maximum: 315_360_000 },
    job_timeout: { type: 'integer', minimum: 1, maximum: 86_400 },
    keep_alive: { type: 'boolean' },
  },
};

export const sendMessageBody: JSONSchema = {
  type: 'object',
  required: ['content'],
  additionalProperties: false,
  properties: { content: messageContent },
};

export const updateChatBody: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { title: { type: 'string', minLength: 1, maxLength: 500 }, archived: { type: 'boolean' } },
};

/** Text parts are joined; other part types (images, audio, files) are not supported yet and are refused. */
export function contentText(content: string | readonly { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('\n');
}

/** `POST /chats/{id}/approve-tool/{tool_call_id}`: the decision, and optionally why. */
export const approvalBody: JSONSchema = {
  type: 'object',
  required: ['approved'],
  additionalProperties: false,
  properties: {
    approved: { type: 'boolean' },
    reason: { type: ['string', 'null'], maxLength: 10_000 },
  },
};
