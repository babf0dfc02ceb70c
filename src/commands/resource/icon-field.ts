/**
 * The icon field of the kinds that have one: `url:https://…` or `collection:…`, or none. The original
 * console sends `"icon": ""` when no icon is chosen, so an empty icon is accepted and stored as none
 * (null), never refused.
 */
import type { JSONSchema } from '../validation.js';
import type { ResourceKind } from './resource-kind.js';

export const iconField: JSONSchema = {
  anyOf: [{ type: 'string', maxLength: 512, pattern: '^$|^(url:https?://|collection:).+' }, { type: 'null' }],
};

/** `body` with an empty icon set to null, for a kind that has one (changes `body`: pass a copy). */
export function blanksAsNone(kind: ResourceKind, body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  if ('icon' in kind.fields && b.icon === '') b.icon = null;
  return body;
}
