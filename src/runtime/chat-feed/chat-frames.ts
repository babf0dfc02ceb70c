/**
 * A chat's frames, as its SSE streams send them (DESIGN §8): the chat's durable events (`id:` = stream revision) merged
 * with token deltas of running turns from the live bus (`id: <revision>.<seq>`, where revision is
 * the TurnStarted event's). While a turn's deltas flow, later durable events wait, so a client
 * always sees a turn's deltas before the message that completes it. Resuming from `R` or `R.S`
 * gives exactly what followed, whether the turn still runs or ended long ago.
 */
import { Observable, type Subscription } from 'rxjs';
import { turnChannel, type ChatEvent } from '../../events/chat-events.js';
import type { EventStore, RecordedEvent, ReplayedEvent } from '../../events/event-store.js';
import { storedJson } from '../../events/stored-json.js';
import { streams } from '../../events/stream-names.js';
import type { LiveBus, LiveMessage } from '../live-bus/live-bus.js';

/** One frame of the feed, as an SSE frame carries it (the HTTP layer sends it as it is). */
export interface ChatFrame {
  /** the event's type, or `message` for a token delta */
  readonly event: string;
  readonly data: unknown;
  /** `R` (the event's revision in the chat stream) or `R.S` (delta S of the turn started at R) */
  readonly id?: string;
  /** `data` already as JSON text (no line breaks), when the store returned it so */
  readonly json?: string;
}

/**
 * How long to keep waiting for a turn's deltas once its ending event is known: a channel that has
 * delivered nothing has probably expired (a replay long after the turn), so it gets a short wait.
 */
const DRAIN_MS = 2000;
const DRAIN_SILENT_MS = 300;

type TurnStartedData = Extract<ChatEvent, { type: 'TurnStarted' }>['data'];

/**
 * What a frame needs of an event: a recorded event, or one read for a replay, which comes with its
 * turn's id and attempt read (its data is then never parsed).
 */
type FrameEvent = Pick<RecordedEvent, 'type' | 'revision' | 'data'> & Partial<Pick<ReplayedEvent, 'fields'>>;

/** the data fields a replay reads for chatFrames */
const REPLAY_FIELDS = ['turnId', 'attempt', 'runId'] as const;

export function durableFrame(e: FrameEvent): ChatFrame {
  return new DurableFrame(e);
}

/** A class, not an object with its own accessor: cheap to build for each event of a long replay. */
class DurableFrame implements ChatFrame {
  readonly event: string;
  readonly id: string;
  readonly json: string | undefined;

  constructor(private readonly e: FrameEvent) {
    this.event = e.type;
    this.id = String(e.revision);
    this.json = frameJson(e);
  }

  /** built only when asked for: a replay sends the stored JSON text (json) and never needs it */
  get data(): Record<string, unknown> {
    return { type: this.e.type, revision: Number(this.e.revision), ...this.e.data };
  }
}

/** either key, anywhere in the JSON (one pass over it, far quicker than two searches) */
const OWN_KEYS = /"(?:type|revision)"/;

/**
 * The frame's data as text, from the JSON the store returned: the same object as `data` (type and
 * revision first, then the event's fields). Only when the event's JSON has no key named like those
 * two (then `data` is serialised as usual).
 */
function frameJson(e: FrameEvent): string | undefined {
  const stored = storedJson(e);
  if (stored === undefined || OWN_KEYS.test(stored)) return undefined;
  const head = `{"type":${JSON.stringify(e.type)},"revision":${e.revision}`;
  const body = stored.trim(); // Postgres writes no surrounding blanks: the same string, no copy
  return body === '{}' ? `${head}}` : `${head},${body.slice(1)}`;
}

function deltaFrame(revision: bigint, m: LiveMessage): ChatFrame {
  const data =
    m.type === 'tool_call'
      ? {
          content: null,
          tool_calls: [
            {
              index: m.index,
              id: m.id,
              type: 'function',
              function: { name: m.name, arguments: m.arguments },
            },
          ],
          finish_reason: null,
        }
      : { content: m.content, tool_calls: null, finish_reason: null };
  return { event: 'message', id: `${revision}.${m.seq}`, data };
}

const turnOf = (e: FrameEvent) =>
  e.fields ? (e.fields.turnId ?? undefined) : (e.data as { turnId?: string }).turnId;

type TurnStart = Pick<TurnStartedData, 'turnId' | 'attempt' | 'runId'>;

/** the turn, attempt and run a TurnStarted event starts */
const startOf = (e: FrameEvent): TurnStart =>
  e.fields
    ? { turnId: e.fields.turnId!, attempt: Number(e.fields.attempt), runId: e.fields.runId ?? undefined }
    : (e.data as unknown as TurnStartedData);

export function chatFrames(
  store: EventStore,
  bus: LiveBus,
  chatId: string,
  resume: { revision: bigint; seq: number } | undefined,
  drain: { readonly ms: number; readonly silentMs: number } = { ms: DRAIN_MS, silentMs: DRAIN_SILENT_MS },
): Observable<ChatFrame> {
  return new Observable<ChatFrame>((subscriber) => {
    const stream = streams.chat(chatId);
    const pending: FrameEvent[] = [];
    let live:
      | { turnId: string; channel: string; sub: Subscription; drainTimer?: NodeJS.Timeout; seen: number }
      | undefined;
    let closed = false;

    const detach = () => {
      if (!live) return;
      live.sub?.unsubscribe();
      if (live.drainTimer) clearTimeout(live.drainTimer);
      live = undefined;
      flush();
    };
    const attach = (revision: bigint, d: TurnStart, afterSeq: number) => {
      const channel = turnChannel(chatId, d);
      const current: NonNullable<typeof live> = {
        turnId: d.turnId,
        channel,
        sub: undefined as unknown as Subscription,
        seen: 0,
      };
      live = current;
      const sub = bus.subscribe(channel, { afterSeq }).subscribe({
        next: (m) => {
          current.seen++;
          subscriber.next(deltaFrame(revision, m));
        },
        complete: () => live === current && detach(),
        error: () => live === current && detach(),
      });
      // the channel may have ended during subscribe (a finished turn's replay): then it is already detached
      if (live !== current) return sub.unsubscribe();
      current.sub = sub;
      // a replay may already hold the turn's next event
      const next = pending.find((e) => turnOf(e) === d.turnId);
      if (next) afterTurnEvent(current, next);
    };
    // A replay holds turns that ended long ago: the bus is asked once, for all of those waiting,
    // which of their channels it still keeps; a turn whose channel is gone is sent without waiting.
    const asked = new Set<string>();
    const gone = new Set<string>();
    let asking = false;
    const channelOf = (e: FrameEvent) => {
      const d = startOf(e);
      return turnChannel(chatId, d);
    };
    /** whether `pending` holds an event of the turn pending[i] starts, after it */
    const replayed = (i: number) => {
      const turnId = turnOf(pending[i]!);
      for (let j = i + 1; j < pending.length; j++) if (turnOf(pending[j]!) === turnId) return true;
      return false;
    };
    const askAboutReplayedTurns = () => {
      asking = true;
      const channels: string[] = [];
      pending.forEach((e, i) => {
        if (e.type !== 'TurnStarted' || !replayed(i)) return;
        const channel = channelOf(e);
        if (asked.has(channel)) return;
        asked.add(channel);
        channels.push(channel);
      });
      bus
        .retained(channels)
        .then(
          (kept) => {
            for (const c of channels) if (!kept.has(c)) gone.add(c);
          },
          () => undefined, // unknown: wait for their deltas as for any turn
        )
        .finally(() => {
          asking = false;
          flush();
        });
    };
    /** Emits waiting durable events until one starts a turn (which attaches its deltas). */
    const flush = () => {
      while (!live && !asking && pending.length > 0 && !closed) {
        const e = pending[0]!;
        const starts = e.type === 'TurnStarted';
        if (starts && !asked.has(channelOf(e)) && replayed(0)) return askAboutReplayedTurns();
        pending.shift();
        subscriber.next(durableFrame(e));
        if (starts && !gone.has(channelOf(e))) attach(e.revision, startOf(e), 0);
      }
    };
    /** The turn `current` follows has a later event `e`: its model call is over (or replaced). */
    const afterTurnEvent = (current: NonNullable<typeof live>, e: FrameEvent) => {
      if (e.type === 'TurnCancelled' || e.type === 'TurnStarted') return detach();
      if (current.drainTimer) return;
      current.drainTimer = setTimeout(detach, current.seen > 0 || resume ? drain.ms : drain.silentMs);
      // Nothing came: if the bus keeps nothing of the channel (it expired, or the turn never wrote
      // to it), nothing will, so the events after the turn need not wait. A turn ends its channel
      // before its ending event is recorded, so a channel that was written is still kept here.
      if (current.seen === 0)
        bus.retained([current.channel]).then(
          (kept) => kept.size === 0 && live === current && detach(),
          () => undefined,
        );
    };
    const onDurable = (e: FrameEvent) => {
      pending.push(e);
      if (!live) return flush();
      if (turnOf(e) === live.turnId) afterTurnEvent(live, e);
    };

    // A resume at R reads from R itself (one read, not two): the event at R is not sent again, but
    // if it started a turn, that turn's deltas after the resumed seq follow.
    let skip = resume?.revision;
    const first = (e: FrameEvent) => {
      if (skip === undefined) return onDurable(e);
      const at = skip;
      skip = undefined;
      if (e.revision !== at) return onDurable(e);
      if (e.type === 'TurnStarted') attach(e.revision, startOf(e), resume!.seq);
    };
    // Catch up with a replay read (only what frames need) when the store has one, then follow live
    // from the last revision it read; else the subscription catches up itself. When the store's
    // memory holds the stream from there (a turn just posted here), the subscription serves it
    // from memory with no read at all.
    let durable: Subscription | undefined;
    const follow = (afterRevision: bigint | undefined) => {
      if (closed) return;
      durable = store
        .subscribeToStream(stream, afterRevision !== undefined ? { afterRevision } : {})
        .subscribe({ next: first, error: (err) => subscriber.error(err) });
    };
    const start = resume && resume.revision > 0n ? resume.revision - 1n : undefined;
    const replay = store.readStreamReplay?.bind(store);
    if (!replay || store.recentEvents?.(stream, { revision: start ?? -1n })) follow(start);
    else
      void (async () => {
        let last = start;
        for await (const page of replay(stream, start ?? -1n, { fields: REPLAY_FIELDS })) {
          for (const e of page) {
            if (closed) return;
            first(e);
            last = e.revision;
          }
        }
        follow(last);
      })().catch((err) => subscriber.error(err));

    return () => {
      closed = true;
      durable?.unsubscribe();
      if (live) {
        live.sub?.unsubscribe();
        if (live.drainTimer) clearTimeout(live.drainTimer);
      }
    };
  });
}
