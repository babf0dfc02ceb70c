/**
 * How a message's parts read in the chat read model, GET /chats/{id} and the console (reference
 * §3.1: a multimodal message's `content` is a JSON array string of its parts): the facts of each
 * blob (type, size, SHA-256) and the route a reader fetches its bytes from, never the bytes.
 */
import type { StoredPart } from '../events/message-parts.js';

export type PartView = Readonly<Record<string, unknown>>;

/** `GET /chats/{chat}/messages/{message}/parts/{index}`: the part's bytes, for the chat's owner */
export const partContentUrl = (chatId: string, messageId: string, index: number) =>
  `/chats/${chatId}/messages/${messageId}/parts/${index}`;

export function partViews(parts: readonly StoredPart[], chatId: string, messageId: string): PartView[] {
  return parts.map((p, i) => partView(p, partContentUrl(chatId, messageId, i)));
}

function partView(p: StoredPart, contentUrl: string): PartView {
  if (p.type === 'text') return { type: 'text', text: p.text };
  const s = p.source;
  const detail = p.type === 'image' && p.detail ? { detail: p.detail } : {};
  if (s.kind === 'url') return { type: p.type, url: s.url, ...detail };
  const blob = { mime_type: s.mime_type, size_bytes: s.size, sha256: s.sha256, content_url: contentUrl };
  const origin =
    s.kind === 'fetched'
      ? { source_url: s.url }
      : s.kind === 'collection_file'
        ? { file_id: s.file_id, file_version: s.version, collection: `${s.namespace}/${s.collection}` }
        : {};
  switch (p.type) {
    case 'image':
      return { type: 'image', ...blob, ...origin, ...detail };
    case 'audio':
      return { type: 'audio', format: p.format, ...blob, ...origin };
    case 'file':
      return { type: 'file', filename: p.filename, ...blob, ...origin };
    default: {
      const unreachable: never = p;
      return unreachable;
    }
  }
}
