/**
 * What the chat routes and the OpenAI adapter read of a chat's event stream to stream it: its
 * frames (durable events and live token deltas, chat-frames.ts), where a turn begins, the turn's
 * events up to a resume point, and whether the store holds more of a turn. The one holder of the
 * event store and the live bus on the streaming path, so HTTP only asks.
 */
import type { Observable } from 'rxjs';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { streams } from '../../events/stream-names.js';
import type { ChatQueries } from '../../projections/chat-queries.js';
import type { LiveBus } from '../live-bus/live-bus.js';
import { chatFrames, type ChatFrame } from './chat-frames.js';

/** how many events one read of a turn's events asks for */
const PAGE = 500;

/** where a feed resumes: after durable event `revision`, or after delta `seq` of the turn it started */
export interface ResumePoint {
  readonly revision: bigint;
  readonly seq: number;
}

const turnOf = (data: unknown) => (data as { turnId?: string } | undefined)?.turnId;

export class ChatFeed {
  constructor(
    private readonly store: EventStore,
    private readonly bus: LiveBus,
    private readonly queries: ChatQueries,
  ) {}

  /** The chat's frames from `resume` (from its start without one), then live. */
  frames(chatId: string, resume: ResumePoint | undefined): Observable<ChatFrame> {
    return chatFrames(this.store, this.bus, chatId, resume);
  }

  /**
   * The revision of the user message that began the turn, or undefined when the chat has no such
   * turn: the read model knows; only a turn posted just now may not be there yet (then the stream).
   */
  async turnBegun(chatId: string, turnId: string): Promise<bigint | undefined> {
    const known = await this.queries.turnMessageRevision(chatId, turnId);
    if (known !== undefined) return known;
    const events = await this.store.readStream(streams.chat(chatId));
    return events.find((e) => e.type === 'UserMessagePosted' && turnOf(e.data) === turnId)?.revision;
  }

  /**
   * The chat's events from revision `from` through `through`, a page at a time (so a reader that
   * has seen enough stops reading); ends early at the stream's end.
   */
  async *events(chatId: string, from: bigint, through: bigint): AsyncGenerator<readonly RecordedEvent[]> {
    const stream = streams.chat(chatId);
    for (let next = from; next <= through;) {
      const left = through - next + 1n;
      const count = left < BigInt(PAGE) ? Number(left) : PAGE;
      const page = await this.store.readStream(stream, { fromRevision: next, maxCount: count });
      yield page;
      if (page.length < count || page.length === 0) return;
      next = page.at(-1)!.revision + 1n;
    }
  }

  /** The `$all` position of the chat's event at `revision` (undefined when the chat has none there). */
  async positionOf(chatId: string, revision: bigint): Promise<bigint | undefined> {
    const [e] = await this.store.readStream(streams.chat(chatId), { fromRevision: revision, maxCount: 1 });
    return e?.revision === revision ? e.position : undefined;
  }

  /** Whether the store holds an event of the turn after `revision`. */
  async holdsMoreOf(chatId: string, turnId: string, revision: bigint): Promise<boolean> {
    for (let next = revision + 1n; ;) {
      const page = await this.store.readStream(streams.chat(chatId), { fromRevision: next, maxCount: PAGE });
      if (page.some((e) => turnOf(e.data) === turnId)) return true;
      if (page.length < PAGE) return false;
      next = page.at(-1)!.revision + 1n;
    }
  }
}
