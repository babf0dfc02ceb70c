/**
 * The production LiveBus: one Redis stream per channel. A message is the entry `<seq>-1`
 * (so Redis itself orders by seq) with its JSON in field `m`; `end` appends an entry with
 * field `end`. Writes trim with MAXLEN ~ and refresh the key's expiry.
 *
 * Reading: each instance runs one loop on a dedicated connection that XREAD BLOCKs on every
 * followed channel at once. A new subscriber first registers with that loop (buffering what it
 * delivers), then reads what is retained after its `afterSeq` with XRANGE, then drains the
 * buffer; it drops any seq it has already passed, so there is no gap and no duplicate.
 * A subscriber to a channel the loop is not yet reading interrupts the block (CLIENT UNBLOCK).
 *
 * When Redis goes away, commands fail at the next reconnect attempt instead of waiting for Redis
 * (a turn's deltas are best effort: its reply is in the event store), so subscribers that are
 * catching up error and followers of a chat carry on from the event store; the read loop waits for
 * the reconnect and goes on from its cursors.
 */
import { Redis } from 'ioredis';
import { Observable, type Subscriber } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { IllegalStateError, UnavailableError } from '../../errors.js';
import { resilientOptions, watchConnection, type OutageReport } from '../redis-connection.js';
import {
  defaultLiveBusRetention,
  validateAfterSeq,
  validateChannel,
  validateMessage,
  validateRetention,
  type LiveBus,
  type LiveBusRetention,
  type LiveMessage,
  type SubscribeOptions,
} from './live-bus.js';

export interface RedisLiveBusOptions {
  /** redis://... */
  readonly url: string;
  /** prepended to channel names to make keys; default 'sinas:live:' */
  readonly keyPrefix?: string;
  readonly retention?: LiveBusRetention;
  /** longest single XREAD BLOCK, in ms; default 5000 */
  readonly blockMs?: number;
  /** connection trouble, once per outage and connection; default: written to stderr */
  readonly outage?: OutageReport;
}

const stderrOutage = (connection: string): OutageReport => ({
  down: (err) => process.stderr.write(`live bus (${connection}): redis is unreachable (${err.message})\n`),
  up: () => process.stderr.write(`live bus (${connection}): redis is reachable again\n`),
});

type Entry = { readonly kind: 'message'; readonly message: LiveMessage } | { readonly kind: 'end' };
type RawEntry = [id: string, fields: string[]];
type XReadReply = [key: string, entries: RawEntry[]][] | null;

interface Follower {
  /** highest seq delivered (or afterSeq) */
  last: number;
  /** entries from the read loop held back while catching up; null once live */
  pending: Entry[] | null;
  readonly subscriber: Subscriber<LiveMessage>;
}

interface Tail {
  /** id of the last entry the read loop has seen */
  cursor: string;
  readonly followers: Set<Follower>;
}

// KEYS[1] stream; ARGV seq, json, maxLength, ttlMs
const PUBLISH = `
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if top and top[2][1] == 'end' then return redis.error_reply('ENDED') end
if top and tonumber(ARGV[1]) <= tonumber(string.match(top[1], '^(%d+)')) then
  return redis.error_reply('SEQ ' .. string.match(top[1], '^(%d+)'))
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], ARGV[1] .. '-1', 'm', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

// KEYS[1] stream; ARGV maxLength, ttlMs. '*' gives an id above every message id in practice
// (seq below the clock in ms), so a subscriber whose afterSeq runs ahead still sees the end.
const END = `
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if top and top[2][1] == 'end' then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'end', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export class RedisLiveBus implements LiveBus {
  private readonly cmd: Redis;
  private readonly reader: Redis;
  private readonly prefix: string;
  private readonly retention: LiveBusRetention;
  private readonly blockMs: number;
  private readonly tails = new Map<string, Tail>();
  private readerId: number | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** bumped per new tail; the loop records the value its current XREAD was built from */
  private generation = 0;
  private readingGeneration = 0;
  private kicking = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(opts: RedisLiveBusOptions) {
    this.prefix = opts.keyPrefix ?? 'sinas:live:';
    this.retention = opts.retention ?? defaultLiveBusRetention;
    validateRetention(this.retention);
    this.blockMs = opts.blockMs ?? 5000;
    // no retry of a command across a reconnect: a delta that cannot go out now is dropped
    this.cmd = watchConnection(
      new Redis(opts.url, { ...resilientOptions, maxRetriesPerRequest: 0 }),
      opts.outage ?? stderrOutage('commands'),
    );
    // RESP2 on the reader: under RESP3, ioredis flattens XREAD's map reply into [key, entries, ...].
    this.reader = watchConnection(
      new Redis(opts.url, { ...resilientOptions, maxRetriesPerRequest: null, protocol: 2 }),
      opts.outage ?? stderrOutage('reader'),
    );
    this.reader.on('close', () => (this.readerId = undefined));
  }

  async publish(channel: string, message: LiveMessage): Promise<void> {
    this.assertOpen();
    validateChannel(channel);
    validateMessage(message);
    const { maxLength, ttlMs } = this.retention;
    const args = [String(message.seq), JSON.stringify(message), maxLength, ttlMs];
    await this.cmd.eval(PUBLISH, 1, this.key(channel), ...args).catch((err: Error) => {
      throw refused(channel, message.seq, err);
    });
  }

  subscribe(channel: string, opts: SubscribeOptions = {}): Observable<LiveMessage> {
    validateChannel(channel);
    validateAfterSeq(opts.afterSeq);
    const key = this.key(channel);
    return new Observable<LiveMessage>((subscriber) => {
      if (this.closed) return subscriber.error(new UnavailableError('live bus is closed'));
      const follower: Follower = { last: opts.afterSeq ?? -1, pending: [], subscriber };
      this.follow(key, follower);
      void this.catchUp(key, follower).catch((err: Error) => subscriber.error(unavailable(err)));
      return () => this.unfollow(key, follower);
    });
  }

  async end(channel: string): Promise<void> {
    this.assertOpen();
    validateChannel(channel);
    await this.cmd.eval(END, 1, this.key(channel), this.retention.maxLength, this.retention.ttlMs);
  }

  async retained(channels: readonly string[]): Promise<ReadonlySet<string>> {
    this.assertOpen();
    channels.forEach(validateChannel);
    if (channels.length === 0) return new Set();
    // one round trip; a stream key expires with the ttl
    const pipeline = this.cmd.pipeline();
    for (const c of channels) pipeline.exists(this.key(c));
    const answers = (await pipeline.exec()) ?? [];
    const kept = new Set<string>();
    answers.forEach(([err, n], i) => {
      if (err) throw err;
      if (n === 1) kept.add(channels[i]!);
    });
    return kept;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.reader.disconnect();
    await this.loop;
    await this.cmd.quit();
    const followers = [...this.tails.values()].flatMap((t) => [...t.followers]);
    this.tails.clear();
    for (const f of followers) f.subscriber.error(new UnavailableError('live bus is closed'));
  }

  private follow(key: string, follower: Follower): void {
    let tail = this.tails.get(key);
    if (!tail) {
      tail = { cursor: entryId(follower.last), followers: new Set() };
      this.tails.set(key, tail);
      this.generation++;
      this.kick();
    }
    tail.followers.add(follower);
    this.loop ??= this.run();
  }

  private unfollow(key: string, follower: Follower): void {
    const tail = this.tails.get(key);
    tail?.followers.delete(follower);
    if (tail?.followers.size === 0) this.tails.delete(key);
  }

  /** Delivers what is retained after `follower.last`, then what the loop held back. */
  private async catchUp(key: string, follower: Follower): Promise<void> {
    const start = follower.last < 0 ? '-' : `(${entryId(follower.last)}`;
    const replies = await this.cmd
      .multi()
      .xrange(key, start, '+')
      .xrevrange(key, '+', '-', 'COUNT', 1)
      .exec();
    const [range, top] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value as RawEntry[];
    });
    const entries = (range ?? []).map(toEntry);
    if (top?.[0] && toEntry(top[0]).kind === 'end') entries.push({ kind: 'end' });
    for (const entry of entries) deliver(follower, entry);
    const pending = follower.pending ?? [];
    follower.pending = null;
    for (const entry of pending) deliver(follower, entry);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.tails.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      await this.readOnce().catch((err: Error) => this.failAll(err));
    }
  }

  private async readOnce(): Promise<void> {
    this.readerId ??= await this.reader.client('ID');
    const tails = [...this.tails];
    this.readingGeneration = this.generation;
    const streams = [...tails.map(([key]) => key), ...tails.map(([, tail]) => tail.cursor)];
    const reply = (await this.reader.call('XREAD', [
      'BLOCK',
      this.blockMs,
      'COUNT',
      1000,
      'STREAMS',
      ...streams,
    ])) as XReadReply;
    for (const [key, raw] of reply ?? []) {
      const tail = tails.find(([k]) => k === key)?.[1];
      if (!tail || this.tails.get(key) !== tail) continue;
      for (const rawEntry of raw) {
        tail.cursor = rawEntry[0];
        const entry = toEntry(rawEntry);
        for (const f of tail.followers) dispatch(f, entry);
      }
    }
  }

  /** Makes the loop pick up a new tail now: interrupts its XREAD until it reads a fresh set. */
  private kick(): void {
    this.wake?.();
    this.wake = undefined;
    if (this.kicking || !this.loop) return;
    this.kicking = true;
    void this.unblockUntilFresh()
      .catch((err: Error) => this.failAll(err))
      .finally(() => (this.kicking = false));
  }

  private async unblockUntilFresh(): Promise<void> {
    while (!this.closed && this.tails.size > 0 && this.readingGeneration < this.generation) {
      if (this.readerId !== undefined) await this.cmd.client('UNBLOCK', this.readerId);
      await sleep(20);
    }
  }

  private failAll(err: Error): void {
    if (this.closed) return;
    const followers = [...this.tails.values()].flatMap((t) => [...t.followers]);
    this.tails.clear();
    for (const f of followers) f.subscriber.error(unavailable(err));
  }

  private key(channel: string): string {
    return this.prefix + channel;
  }

  private assertOpen(): void {
    if (this.closed) throw new IllegalStateError('live bus is closed');
  }
}

function entryId(seq: number): string {
  return seq < 0 ? '0-0' : `${seq}-1`;
}

function toEntry([, fields]: RawEntry): Entry {
  if (fields[0] === 'end') return { kind: 'end' };
  return { kind: 'message', message: JSON.parse(fields[1] ?? 'null') as LiveMessage };
}

function dispatch(follower: Follower, entry: Entry): void {
  if (follower.pending) follower.pending.push(entry);
  else deliver(follower, entry);
}

function deliver(follower: Follower, entry: Entry): void {
  if (follower.subscriber.closed) return;
  if (entry.kind === 'end') return follower.subscriber.complete();
  if (entry.message.seq <= follower.last) return;
  follower.last = entry.message.seq;
  follower.subscriber.next(entry.message);
}

function refused(channel: string, seq: number, err: Error): Error {
  if (/\bENDED\b/.test(err.message))
    return new IllegalStateError(`live channel ${channel} has ended`, 'channel');
  const last = /\bSEQ (\d+)/.exec(err.message)?.[1];
  if (last !== undefined)
    return new IllegalStateError(`seq ${seq} is not above ${last} on ${channel}`, 'seq');
  return unavailable(err);
}

function unavailable(err: Error): UnavailableError {
  return Object.assign(new UnavailableError(`live bus: ${err.message}`), { cause: err });
}
