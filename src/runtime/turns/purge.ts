/**
 * Ephemeral chats (`expires_in`): at expiry the chat's stream is hard-deleted and a content-free
 * ChatPurged record goes to the `audit-chats` stream (DESIGN §4). The chats projection drops the
 * rows when it sees that record. The blobs its messages' parts own go first (each part has a blob
 * of its own, so no other message needs them; a collection file's stays with the file), so a purge
 * cut short is done again whole. A delayed job fires at the expiry; a sweep catches what a lost
 * job (in-process queue, restart) missed.
 */
import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { ChatEvent } from '../../events/chat-events.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { ownedBlobOf } from '../../events/message-parts.js';
import { streams } from '../../events/stream-names.js';
import type { Projection } from '../../projections/projection.js';
import type { BlobStore } from '../files/blob-store.js';
import type { JobQueue } from '../queue/job-queue.js';

export const PURGE_QUEUE = 'purges';
export const AUDIT_CHATS = 'audit-chats';

export interface ChatPurgedData {
  readonly chatId: string;
  readonly userId: string;
  readonly expiresAt: string | null;
  readonly events: number;
  readonly reason: 'expired';
  readonly at: string;
}

/** Purges the chat if it exists and has expired; returns whether it did. */
export async function purgeIfExpired(
  store: EventStore,
  blobs: BlobStore,
  chatId: string,
  now = new Date(),
): Promise<boolean> {
  const stream = streams.chat(chatId);
  const [first] = await store.readStream(stream, { maxCount: 1 });
  if (!first || first.type !== 'ChatCreated') return false;
  const created = (first as unknown as Extract<ChatEvent, { type: 'ChatCreated' }>).data;
  if (!created.expiresAt || new Date(created.expiresAt) > now) return false;
  const revision = await store.streamRevision(stream);
  for (const key of partBlobKeys(await store.readStream(stream))) await blobs.delete(key);
  await store.deleteStream(stream);
  const id = randomUUID();
  const data: ChatPurgedData = {
    chatId,
    userId: created.userId,
    expiresAt: created.expiresAt,
    events: Number((revision ?? -1n) + 1n),
    reason: 'expired',
    at: now.toISOString(),
  };
  await store.append(
    AUDIT_CHATS,
    [
      {
        id,
        type: 'ChatPurged',
        data: { ...data },
        metadata: {
          correlationId: chatId,
          causationId: chatId,
          actor: 'system',
          commandId: `purge-${chatId}`,
          version: 1,
        },
      },
    ],
    'any',
  );
  return true;
}

/** Schedules each expiring chat's purge as a delayed job when the chat is created. */
export function purgeReactor(queue: JobQueue): Projection {
  return {
    name: 'reactor_purges',
    version: 1,
    filter: { categories: ['chat'], eventTypes: ['ChatCreated'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, events) {
      for (const e of events) {
        const d = (e as unknown as Extract<ChatEvent, { type: 'ChatCreated' }>).data;
        if (!d.expiresAt) continue;
        const delayMs = Math.max(0, new Date(d.expiresAt).getTime() - Date.now());
        await queue.add(
          PURGE_QUEUE,
          'purge',
          { chatId: d.chatId },
          {
            jobId: `purge-${d.chatId}`,
            delayMs,
            attempts: 5,
            backoff: { type: 'exponential', delayMs: 1000 },
          },
        );
      }
    },
  };
}

/** the blobs the chat's message parts own */
function partBlobKeys(events: readonly RecordedEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type !== 'UserMessagePosted') return [];
    const parts = (e.data as Extract<ChatEvent, { type: 'UserMessagePosted' }>['data']).parts ?? [];
    return parts.flatMap((p) => ownedBlobOf(p)?.key ?? []);
  });
}

export async function startPurgeWorkers(queue: JobQueue, store: EventStore, blobs: BlobStore): Promise<void> {
  await queue.process<{ chatId: string }, boolean>(
    PURGE_QUEUE,
    async (job) => {
      // a timer may fire a moment before the expiry: wait it out rather than miss it until the next sweep
      if (await purgeIfExpired(store, blobs, job.data.chatId)) return true;
      await new Promise((r) => setTimeout(r, 1000));
      return purgeIfExpired(store, blobs, job.data.chatId);
    },
    { concurrency: 2 },
  );
}

/** Purges every expired chat the read model still shows. */
export async function sweepExpiredChats(pool: pg.Pool, store: EventStore, blobs: BlobStore): Promise<number> {
  const { rows } = await pool
    .query<{ id: string }>('SELECT id FROM chats WHERE expires_at < now() ORDER BY expires_at LIMIT 500')
    .catch(() => ({ rows: [] as { id: string }[] }));
  let n = 0;
  for (const r of rows) if (await purgeIfExpired(store, blobs, r.id)) n++;
  return n;
}
