/**
 * The parts of a turn's messages in the provider's format (the `openai` client's content parts):
 * each blob reference recorded in the chat is read back and sent as base64 (an image as a data URL
 * in `image_url`, audio as `input_audio`, a file as `file.file_data`); an image URL goes as given.
 * A blob that is gone (its collection file was deleted) becomes a text note, so the chat goes on.
 */
import type { BlobRef, StoredPart } from '../../events/message-parts.js';
import type { BlobStore } from '../files/blob-store.js';
import type { LlmContentPart, LlmMessage } from '../llm/llm.js';

export type ResolveParts = (messages: readonly LlmMessage[]) => Promise<LlmMessage[]>;

export function partResolver(blobs: BlobStore): ResolveParts {
  return (messages) => Promise.all(messages.map((m) => (m.parts ? resolved(blobs, m) : m)));
}

async function resolved(blobs: BlobStore, m: LlmMessage): Promise<LlmMessage> {
  const { parts, ...rest } = m;
  return { ...rest, content: await Promise.all((parts ?? []).map((p) => wirePart(blobs, p))) };
}

async function wirePart(blobs: BlobStore, p: StoredPart): Promise<LlmContentPart> {
  if (p.type === 'text') return { type: 'text', text: p.text };
  if (p.type === 'image' && p.source.kind === 'url')
    return { type: 'image_url', image_url: { url: p.source.url, ...(p.detail ? { detail: p.detail } : {}) } };
  const ref: BlobRef = p.source as BlobRef;
  const bytes = await read(blobs, ref);
  if (!bytes) return { type: 'text', text: `[${p.type} ${ref.sha256.slice(0, 12)} is no longer available]` };
  const base64 = bytes.toString('base64');
  switch (p.type) {
    case 'image':
      return {
        type: 'image_url',
        image_url: {
          url: `data:${ref.mime_type};base64,${base64}`,
          ...(p.detail ? { detail: p.detail } : {}),
        },
      };
    case 'audio':
      return { type: 'input_audio', input_audio: { data: base64, format: p.format } };
    case 'file':
      return {
        type: 'file',
        file: { file_data: `data:${ref.mime_type};base64,${base64}`, filename: p.filename },
      };
    default: {
      const unreachable: never = p;
      throw new Error(`unknown part ${String(unreachable)}`);
    }
  }
}

/** the blob's bytes, or undefined when it is gone (a blob is never empty but for an empty file) */
async function read(blobs: BlobStore, ref: BlobRef): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of blobs.get(ref.key)) chunks.push(c);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined; // the file-system store: gone
    throw err;
  }
  if (chunks.length === 0 && ref.size > 0) return undefined;
  return Buffer.concat(chunks);
}
