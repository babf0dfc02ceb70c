/**
 * A steady load of chat messages against a running platform, for outage tests: each client has its
 * own chat and posts numbered messages one after another; a 503 is retried (with the
 * Idempotency-Key it names, or its own) until it is answered, so every message is meant to be
 * stored exactly once. Some clients send their own Idempotency-Key, the others none (they retry
 * with the one a 503 "outcome unknown" names). SSE followers watch some chats and resume with
 * Last-Event-ID should a stream end.
 */
import { ADMIN_KEY } from './platform.js';

export interface DurableFrame {
  readonly id: string;
  readonly event: string;
  readonly data: string;
}

export interface Follower {
  readonly chatId: string;
  /** the last durable frame's id ('' before any) */
  lastId(): string;
  durable(): DurableFrame[];
  reconnects(): number;
}

export interface LoadStats {
  readonly ok: number;
  readonly unavailable: number;
  /** of those, the 503s that said "outcome unknown" (retried with the key they named) */
  readonly outcomeUnknown: number;
  /** answers that were neither 200 nor 503 (nor a 409 "still in progress" for a retried key) */
  readonly otherStatuses: string[];
  readonly chats: { id: string; sent: string[] }[];
  readonly followers: Follower[];
}

export interface ChatLoad {
  stats(): LoadStats;
  /** stops posting (the messages in flight finish); the final stats */
  stop(): Promise<LoadStats>;
  /** stops the followers (each at its next frame or ping) */
  close(): void;
  /** a chat's durable SSE frames read afresh from the start up to the frame `lastId` */
  freshRead(chatId: string, lastId: string): Promise<DurableFrame[]>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function chatLoad(
  url: string,
  o: { clients: number; keyed: number; followers: number },
): Promise<ChatLoad> {
  const headers = { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' };
  const agent = await fetch(`${url}/api/v1/agents`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ namespace: 'load', name: 'echo' }),
  });
  if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${await agent.text()}`);
  const chats: { id: string; sent: string[] }[] = [];
  for (let i = 0; i < o.clients; i++) {
    const r = await fetch(`${url}/agents/load/echo/chats`, { method: 'POST', headers, body: '{}' });
    if (r.status !== 200) throw new Error(`chat: ${r.status} ${await r.text()}`);
    chats.push({ id: ((await r.json()) as { id: string }).id, sent: [] });
  }
  let stopped = false;
  let closed = false;
  let ok = 0;
  let unavailable = 0;
  let outcomeUnknown = 0;
  const otherStatuses: string[] = [];

  /** Posts one message until it is answered 200 (or something unexpected). */
  const post = async (chatId: string, content: string, ownKey: string | undefined): Promise<boolean> => {
    let key = ownKey;
    for (;;) {
      let status: number;
      let body: { idempotency_key?: string; field?: string } & Record<string, unknown>;
      try {
        const r = await fetch(`${url}/chats/${chatId}/messages`, {
          method: 'POST',
          headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify({ content }),
        });
        status = r.status;
        body = (await r.json().catch(() => ({}))) as typeof body;
      } catch (err) {
        otherStatuses.push(`${content}: no answer (${(err as Error).message})`);
        return false;
      }
      if (status === 200) return true;
      if (status === 503) {
        unavailable++;
        if (body.code === 'outcome_unknown') outcomeUnknown++;
        key = body.idempotency_key ?? key; // a request that may have run is retried as itself
      } else if (!(status === 409 && body.field === 'Idempotency-Key')) {
        otherStatuses.push(`${content}: ${status} ${JSON.stringify(body)}`);
        return false;
      }
      await pause(100); // a client's retry pace, not a wait for a condition
    }
  };

  const clients = chats.map(async (chat, i) => {
    for (let n = 0; !stopped; n++) {
      const content = `c${i}-m${n}`;
      const sent = await post(chat.id, content, i < o.keyed ? `key-${chat.id}-${n}` : undefined);
      chat.sent.push(content); // stored or not, it was sent: the test checks which
      if (sent) ok++;
      else return;
    }
  });
  const followers = chats.slice(0, o.followers).map((c) => follow(url, c.id, () => closed));
  const stats = (): LoadStats => ({
    ok,
    unavailable,
    outcomeUnknown,
    otherStatuses,
    chats,
    followers: followers.map((f) => f.follower),
  });
  return {
    stats,
    async stop() {
      stopped = true;
      await Promise.all(clients);
      return stats();
    },
    close() {
      stopped = true;
      closed = true;
    },
    freshRead: (chatId, lastId) => readUpTo(url, chatId, lastId),
  };
}

/** Follows a chat's events over SSE until `done()`; resumes with Last-Event-ID should it end. */
function follow(url: string, chatId: string, done: () => boolean): { follower: Follower } {
  const frames: DurableFrame[] = [];
  let last = '';
  let reconnects = 0;
  void (async () => {
    for (let attempt = 0; !done(); attempt++) {
      if (attempt > 0) reconnects++;
      await readFrames(url, chatId, last, done, (f) => {
        last = f.id;
        if (!f.id.includes('.')) frames.push(f);
      }).catch(() => pause(100)); // refused while the database is down: open it again
    }
  })();
  return {
    follower: {
      chatId,
      lastId: () => [...frames].reverse()[0]?.id ?? '',
      durable: () => frames,
      reconnects: () => reconnects,
    },
  };
}

async function readUpTo(url: string, chatId: string, lastId: string): Promise<DurableFrame[]> {
  const frames: DurableFrame[] = [];
  let reached = false;
  await readFrames(
    url,
    chatId,
    '',
    () => reached,
    (f) => {
      if (f.id.includes('.')) return;
      frames.push(f);
      reached = f.id === lastId;
    },
  );
  return frames;
}

/** Reads frames with an id (pings have none) until the stream ends or `stop()` holds after a frame. */
async function readFrames(
  url: string,
  chatId: string,
  after: string,
  stop: () => boolean,
  onFrame: (f: DurableFrame) => void,
): Promise<void> {
  const abort = new AbortController();
  const r = await fetch(`${url}/chats/${chatId}/events`, {
    headers: { 'x-api-key': ADMIN_KEY, ...(after ? { 'last-event-id': after } : {}) },
    signal: abort.signal,
  });
  if (r.status !== 200) throw new Error(`events: ${r.status}`);
  const reader = r.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const f = { id: '', event: 'message', data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) f.id = line.slice(4);
          else if (line.startsWith('event: ')) f.event = line.slice(7);
          else if (line.startsWith('data: ')) f.data += line.slice(6);
        }
        if (f.id) onFrame(f);
      }
      if (stop()) return;
    }
  } finally {
    abort.abort();
  }
}
