/**
 * Reads one part of a chat message back for a reader of the chat: only the chat's owner gets it
 * (anyone else: not found, as the chat itself), found in the chat's events by message id and
 * position; a URL part has no bytes here (the URL is in the message), and a collection file's
 * bytes also need the reader's download permission on that collection now.
 */
import type { ChatService, PartAccess } from '../../commands/chat/chat-service.js';
import { itemPermission } from '../../commands/identity/permissions.js';
import { NotFoundError } from '../../errors.js';
import type { ChatEvent } from '../../events/chat-events.js';
import type { EventStore } from '../../events/event-store.js';
import { asUserId, type ChatId } from '../../events/ids.js';
import type { BlobRef, StoredPart } from '../../events/message-parts.js';
import { streams } from '../../events/stream-names.js';
import type { BlobStore } from '../files/blob-store.js';

export interface OpenedPart {
  readonly blob: BlobRef;
  readonly bytes: AsyncIterable<Buffer>;
  /** the chat's agent, whose chat permission the reader needs */
  readonly agent: { readonly namespace: string; readonly name: string };
}

export class PartReader {
  constructor(
    private readonly chats: Pick<ChatService, 'get'>,
    private readonly store: EventStore,
    private readonly blobs: BlobStore,
  ) {}

  async open(chatId: ChatId, messageId: string, index: number, who: PartAccess): Promise<OpenedPart> {
    const chat = await this.chats.get(chatId, asUserId(who.userId));
    const part = (await this.partsOf(chatId, messageId))[index];
    if (!part) throw new NotFoundError(`message ${messageId} has no part ${index}`, 'index');
    const blob = blobOfPart(part);
    if (part.type !== 'text' && part.source.kind === 'collection_file') {
      const item = { namespaced: true, namespace: part.source.namespace, name: part.source.collection };
      if (!who.may(itemPermission('collections', item, 'download', 'own')))
        throw new NotFoundError(`message ${messageId} has no part ${index} you may read`, 'index');
    }
    return { blob, bytes: this.blobs.get(blob.key), agent: chat.agent };
  }

  private async partsOf(chatId: ChatId, messageId: string): Promise<readonly StoredPart[]> {
    for (const e of await this.store.readStream(streams.chat(chatId))) {
      const ev = { type: e.type, data: e.data } as ChatEvent;
      if (ev.type === 'UserMessagePosted' && ev.data.messageId === messageId) return ev.data.parts ?? [];
    }
    throw new NotFoundError(`message ${messageId} not found`, 'message_id');
  }
}

function blobOfPart(part: StoredPart): BlobRef {
  if (part.type === 'text')
    throw new NotFoundError('a text part has no bytes (its text is in the message)', 'index');
  if (part.source.kind === 'url')
    throw new NotFoundError('an image given by URL has no bytes here (the URL is in the message)', 'index');
  return part.source;
}
