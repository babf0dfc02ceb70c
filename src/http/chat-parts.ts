/**
 * `GET /chats/{chat_id}/messages/{message_id}/parts/{index}`: the bytes of an image, audio or file
 * part of a message (a message's `content` names this URL for each one), for the chat's owner
 * with chat permission on its agent, as GET /chats/{id} checks. ETag = the part's SHA-256.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { asChatId } from '../commands/ids.js';
import type { PartReader } from '../runtime/parts/part-reader.js';
import { mayChat, partAccess } from './chats.js';
import type { RouteRegistry } from './routes.js';

const CHATTING = { signedIn: ['sinas.agents.chat:own'] } as const;

export function registerChatPartRoutes(registry: RouteRegistry, parts: PartReader): void {
  registry.add({
    method: 'get',
    path: '/chats/:chat_id/messages/:message_id/parts/:index',
    access: CHATTING,
    summary: "The bytes of a message's image, audio or file part (the chat's owner only)",
    tags: ['Chats'],
    params: {
      chat_id: { type: 'string', format: 'uuid' },
      message_id: { type: 'string', format: 'uuid' },
      index: { type: 'string', maxLength: 2, pattern: '^[0-9]{1,2}$' },
    },
    responses: { 200: { type: 'string', format: 'binary' }, 304: undefined },
    produces: 'application/octet-stream',
    handler: async (req, res) => {
      const { chat_id, message_id, index } = req.params as {
        chat_id: string;
        message_id: string;
        index: string;
      };
      const opened = await parts.open(asChatId(chat_id), message_id, Number(index), partAccess(req));
      mayChat(req, opened.agent);
      const etag = `"${opened.blob.sha256}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'private, max-age=300, immutable');
      const match = req.headers['if-none-match'];
      if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
        res.status(304).end();
        return;
      }
      res.status(200);
      res.setHeader('Content-Type', opened.blob.mime_type);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Disposition', 'inline');
      await pipeline(Readable.from(opened.bytes), res);
    },
  });
}
