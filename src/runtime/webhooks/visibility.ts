/**
 * Which events a subscription may receive. Scope 'all' (administrators): every event. Scope 'own':
 * an event the owner caused (`metadata.actor` is the owner), or any event of a chat or execution
 * stream the owner owns (the `userId` of the stream's first event: ChatCreated, ExecutionRequested),
 * so assistant replies and tool results written by workers reach the chat's owner too. Events of
 * subscriptions themselves are never delivered (they carry sealed signing secrets).
 */
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { EVENT_SUBSCRIPTION_CATEGORY } from '../../events/event-subscription-events.js';
import { categoryOf } from '../../events/stream-names.js';

const OWNED_CATEGORIES = new Set(['chat', 'execution']);
const MAX_CACHED = 10_000;

export class EventVisibility {
  /** stream → owner id ('' when the stream is gone or has no owner) */
  private readonly owners = new Map<string, string>();

  constructor(private readonly store: EventStore) {}

  async visible(e: RecordedEvent, scope: 'own' | 'all', ownerId: string): Promise<boolean> {
    const category = categoryOf(e.streamName);
    if (category === EVENT_SUBSCRIPTION_CATEGORY) return false;
    if (scope === 'all' || e.metadata.actor === ownerId) return true;
    if (!OWNED_CATEGORIES.has(category)) return false;
    return (await this.ownerOf(e.streamName)) === ownerId;
  }

  private async ownerOf(stream: string): Promise<string> {
    const known = this.owners.get(stream);
    if (known !== undefined) return known;
    const [first] = await this.store.readStream(stream, { maxCount: 1 });
    const userId = (first?.data as { userId?: unknown } | undefined)?.userId;
    const owner = typeof userId === 'string' ? userId : '';
    if (this.owners.size >= MAX_CACHED) this.owners.clear();
    if (first) this.owners.set(stream, owner);
    return owner;
  }
}
