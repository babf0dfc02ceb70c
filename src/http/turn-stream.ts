/**
 * One turn's SSE stream (POST /chats/{id}/messages/stream, GET /chats/{id}/stream/{turn}): what
 * belongs to a turn and when its stream is over. It carries the turn's own frames only (never the
 * chat's other turns, nor a message posted meanwhile), from the resume point until the turn ends,
 * then `done` (or `error` for a failed turn) and closes. A resume at or after the turn's ending
 * event (any id: durable `R` or delta `R.S`, of this turn or a later one) ends at once. A turn that
 * waits only for people ends with `done` `awaiting_approval` when the store holds nothing more of
 * it (a decision resumes it: reconnect). Tool events also go out under their Sinas names. The
 * closing frame waits (bounded) until the chats read model shows the turn through its last event:
 * clients read the chat right after it (the original console replaces what it streamed with
 * `GET /chats/{id}`), and must find the reply there.
 */
import type { Request, Response } from 'express';
import type { Subscription } from 'rxjs';
import type { RecordedEvent } from '../events/event-store.js';
import type { ChatFeed } from '../runtime/chat-feed/chat-feed.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import { openSse, type SseFrame } from './sse.js';
import { TurnWatch, type TurnStop } from '../commands/chat/turn-watch.js';
import { toolFrames } from './tool-frames.js';

export interface TurnStreamDeps {
  readonly feed: ChatFeed;
  readonly waiter: ProjectionWaiter;
  /** how long the closing frame waits for the read model */
  readonly consistencyTimeoutMs: number;
}

export interface TurnStreamRequest {
  readonly chatId: string;
  readonly turnId: string;
  /** the revision of the user message that began the turn */
  readonly begun: bigint;
  /** where the client resumes (the turn's message itself when it does not) */
  readonly from: { readonly revision: bigint; readonly seq: number };
  /** the turn's events up to `from` matter (a reconnect); false for a turn that just began there */
  readonly catchUp: boolean;
}

type EventLike = { readonly type: string; readonly data: unknown };

const turnOf = (data: unknown) => (data as { turnId?: string } | undefined)?.turnId;

/** The frame that closes a turn's stream, from the event that ended the turn. */
export function endFrame(e: EventLike): SseFrame {
  switch (e.type) {
    case 'AssistantMessageCompleted':
      return { event: 'done', data: { status: 'completed' } };
    case 'TurnFailed':
      return { event: 'error', data: { error: (e.data as { error?: string }).error ?? 'the model failed' } };
    default:
      return { event: 'done', data: { status: 'cancelled' } };
  }
}

export function streamTurn(req: Request, res: Response, d: TurnStreamDeps, t: TurnStreamRequest): void {
  const sse = openSse(req, res);
  const turn = new TurnFrames(t.turnId);
  let sub: Subscription | undefined;
  let over = false;
  /** closes the stream with `frame`; once the read model shows the chat through `through`, if given */
  const finish = (frame: SseFrame, through?: bigint) => {
    if (over) return;
    over = true;
    sub?.unsubscribe();
    void readModelThrough(d, t.chatId, through).then(() => {
      sse.send(frame);
      sse.end();
    });
  };
  void sse.closed.then(() => {
    over = true;
    sub?.unsubscribe();
  });
  const failed = (err: unknown) =>
    finish({ event: 'error', data: { error: String((err as Error).message) } });
  /** the turn waits for people since `revision`: over, unless the store already holds more of it */
  const waiting = (revision: bigint) => {
    const seen = turn.count;
    void d.feed
      .holdsMoreOf(t.chatId, t.turnId, revision)
      .then(
        (more) =>
          more ||
          seen !== turn.count ||
          finish({ event: 'done', data: { status: 'awaiting_approval' } }, revision),
        failed,
      );
  };
  const live = (from: TurnStreamRequest['from']) =>
    d.feed.frames(t.chatId, from).subscribe({
      next: (f) => {
        if (over) return;
        const seen = turn.see(f);
        if (seen === undefined) return; // another turn's frame, or the chat's own
        sse.send(f);
        for (const alias of toolFrames(turn.watch, { type: f.event, data: f.data }, f.id)) sse.send(alias);
        if (seen.stop?.kind === 'ended') finish(endFrame(seen.stop.event), BigInt(f.id!));
        else if (seen.stop) waiting(BigInt(f.id!));
      },
      error: failed,
    });

  void (async () => {
    const from = t.from.revision < t.begun ? { revision: t.begun, seq: 0 } : t.from;
    const caught: CaughtUp = t.catchUp ? await catchUp(d.feed, t.chatId, turn, t.begun, from) : { from };
    if (over) return;
    if (caught.ended) return finish(endFrame(caught.ended));
    sub = live(caught.from);
    if (over) return sub.unsubscribe();
    if (caught.waitingSince !== undefined) waiting(caught.waitingSince);
  })().catch(failed);
}

/**
 * Waits until the chats read model holds the chat's event at `revision` (bounded by the consistency
 * timeout, as a write's read-your-writes wait). A read model that lags past it, or cannot be asked,
 * does not hold the stream: its frames already carried the turn; the client's read shows less.
 */
async function readModelThrough(
  d: TurnStreamDeps,
  chatId: string,
  revision: bigint | undefined,
): Promise<void> {
  if (revision === undefined) return;
  try {
    const position = await d.feed.positionOf(chatId, revision);
    await d.waiter.waitFor(['chats'], position, d.consistencyTimeoutMs);
  } catch {
    // the store or the database is away: the stream still ends (see above); the outage shows elsewhere
  }
}

/** Which frames are the turn's: its durable events, and the deltas of its TurnStarted events. */
class TurnFrames {
  readonly watch: TurnWatch;
  /** ids of the turn's TurnStarted frames: a delta `R.S` is the turn's when R is one of them */
  private readonly starts = new Set<string>();
  /** how many of the turn's frames were seen */
  count = 0;

  constructor(readonly turnId: string) {
    this.watch = new TurnWatch(turnId);
  }

  /** undefined when the frame is not the turn's; else why the turn stops there, if it does */
  see(f: SseFrame): { stop: TurnStop<EventLike> | undefined } | undefined {
    const [revision, seq] = (f.id ?? '').split('.');
    if (seq !== undefined) return this.starts.has(revision!) ? this.counted(undefined) : undefined;
    return this.seeEvent({ type: f.event, data: f.data }, f.id ?? '');
  }

  seeEvent(e: EventLike, id: string): { stop: TurnStop<EventLike> | undefined } | undefined {
    if (turnOf(e.data) !== this.turnId) return undefined;
    if (e.type === 'TurnStarted') this.starts.add(id);
    return this.counted(this.watch.see(e));
  }

  private counted(stop: TurnStop<EventLike> | undefined) {
    this.count++;
    return { stop };
  }
}

interface CaughtUp {
  /** where the live part resumes */
  readonly from: TurnStreamRequest['from'];
  /** the event that ended the turn, at or before the resume point */
  readonly ended?: EventLike;
  /** the revision since which the turn waits for people, as of the resume point */
  readonly waitingSince?: bigint;
}

/**
 * Reads the turn's events from its message up to the resume point, so the watch knows its open tool
 * calls and whether it already ended there. The chat's earlier events are no concern of the turn: a
 * long chat is not read from its start; the read stops at the turn's end. A resume point past the
 * stream's last event (an id never sent) resumes after that event.
 */
async function catchUp(
  feed: ChatFeed,
  chatId: string,
  turn: TurnFrames,
  begun: bigint,
  from: TurnStreamRequest['from'],
): Promise<CaughtUp> {
  let last: RecordedEvent | undefined;
  let waitingSince: bigint | undefined;
  for await (const page of feed.events(chatId, begun, from.revision)) {
    for (const e of page) {
      last = e;
      const seen = turn.seeEvent(e, String(e.revision));
      if (!seen) continue;
      if (seen.stop?.kind === 'ended') return { from, ended: seen.stop.event };
      waitingSince = seen.stop ? e.revision : undefined;
    }
  }
  const resume = last && last.revision < from.revision ? { revision: last.revision, seq: 0 } : from;
  return { from: resume, ...(waitingSince !== undefined ? { waitingSince } : {}) };
}
