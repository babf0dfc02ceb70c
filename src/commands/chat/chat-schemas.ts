/** Request bodies of the chat endpoints (reference §3.2-§3.4), as JSON Schemas for ajv and OpenAPI. */
import type { JSONSchema } from '../validation.js';

/** base64 and data URLs: bounded in practice by the JSON body limit and the part limit (SINAS_MESSAGE_PART_MAX_BYTES) */
const BASE64 = { type: 'string', minLength: 1, maxLength: 1_400_000_000 } as const;
const URLISH = { type: 'string', minLength: 1, maxLength: 8192 } as const;

/**
 * One content part (reference §3.4). Which fields a type needs is checked by the intake
 * (runtime/parts/part-intake.ts), so the 400 names the part's missing or extra field.
 */
const contentPart: JSONSchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['text', 'image', 'audio', 'file'] },
    text: { type: 'string', maxLength: 200_000 },
    /** image: an http(s) URL or a data URL */
    image: BASE64,
    detail: { type: 'string', enum: ['low', 'high', 'auto'] },
    /** audio: base64, or `url` */
    data: BASE64,
    url: URLISH,
    format: { type: 'string', enum: ['wav', 'mp3', 'm4a', 'ogg'] },
    /** file: one of base64 `file_data`, `file_url` or a collection `file_id` */
    file_data: BASE64,
    file_url: URLISH,
    file_id: { type: 'string', format: 'uuid' },
    filename: { type: 'string', minLength: 1, maxLength: 255 },
    mime_type: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\w.+-]+/[\\w.+-]+$' },
  },
};

export const messageContent: JSONSchema = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 200_000 },
    { type: 'array', minItems: 1, maxItems: 100, items: contentPart },
  ],
};

/** A content part as a client sends it (reference §3.4). */
export interface ContentPartInput {
  readonly type: 'text' | 'image' | 'audio' | 'file';
  readonly text?: string;
  readonly image?: string;
  readonly detail?: 'low' | 'high' | 'auto';
  readonly data?: string;
  readonly url?: string;
  readonly format?: 'wav' | 'mp3' | 'm4a' | 'ogg';
  readonly file_data?: string;
  readonly file_url?: string;
  readonly file_id?: string;
  readonly filename?: string;
  readonly mime_type?: string;
}

export type MessageContentInput = string | readonly ContentPartInput[];

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

/** The text of a message: a string, or its text parts joined by newlines. */
export function contentText(content: MessageContentInput): string {
  return typeof content === 'string'
    ? content
    : content
        .filter((p) => p.type === 'text')
        .map((p) => p.text ?? '')
        .join('\n');
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

/** `POST /chats/{id}/fork`: the revision of the chat's stream the fork's history goes up to */
export const forkChatBody: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['at'],
  properties: { at: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
};
