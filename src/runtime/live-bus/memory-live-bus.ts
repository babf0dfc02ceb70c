/**
 * The embedded LiveBus: channels in this process's memory, for a single-process deployment.
 * Messages are copied through JSON on publish, exactly as the Redis adapter stores them.
 */
import { Observable, type Subscriber } from 'rxjs';
import { IllegalStateError, UnavailableError } from '../../errors.js';
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

interface Follower {
  /** deliver only seq above this */
  readonly after: number;
  readonly subscriber: Subscriber<LiveMessage>;
}

interface Channel {
  messages: LiveMessage[];
  /** -1 before the first publish */
  lastSeq: number;
  ended: boolean;
  readonly followers: Set<Follower>;
  expiry?: NodeJS.Timeout;
}

export class MemoryLiveBus implements LiveBus {
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  constructor(private readonly retention: LiveBusRetention = defaultLiveBusRetention) {
    validateRetention(retention);
  }

  async publish(channel: string, message: LiveMessage): Promise<void> {
    this.assertOpen();
    validateChannel(channel);
    validateMessage(message);
    const ch = this.channel(channel);
    if (ch.ended) throw new IllegalStateError(`live channel ${channel} has ended`, 'channel');
    if (message.seq <= ch.lastSeq) {
      throw new IllegalStateError(`seq ${message.seq} is not above ${ch.lastSeq} on ${channel}`, 'seq');
    }
    const copy = JSON.parse(JSON.stringify(message)) as LiveMessage;
    ch.messages.push(copy);
    ch.messages.splice(0, Math.max(0, ch.messages.length - this.retention.maxLength));
    ch.lastSeq = copy.seq;
    this.touch(channel, ch);
    for (const f of ch.followers) if (copy.seq > f.after) f.subscriber.next(copy);
  }

  subscribe(channel: string, opts: SubscribeOptions = {}): Observable<LiveMessage> {
    validateChannel(channel);
    validateAfterSeq(opts.afterSeq);
    return new Observable<LiveMessage>((subscriber) => {
      if (this.closed) return subscriber.error(new UnavailableError('live bus is closed'));
      const ch = this.channel(channel);
      const follower: Follower = { after: opts.afterSeq ?? -1, subscriber };
      for (const m of ch.messages) if (m.seq > follower.after) subscriber.next(m);
      if (ch.ended) return subscriber.complete();
      ch.followers.add(follower);
      return () => {
        ch.followers.delete(follower);
        this.dropIfIdle(channel, ch);
      };
    });
  }

  async end(channel: string): Promise<void> {
    this.assertOpen();
    validateChannel(channel);
    const ch = this.channel(channel);
    if (ch.ended) return;
    ch.ended = true;
    this.touch(channel, ch);
    for (const f of [...ch.followers]) f.subscriber.complete();
  }

  async retained(channels: readonly string[]): Promise<ReadonlySet<string>> {
    this.assertOpen();
    channels.forEach(validateChannel);
    // expiry is set by every write until the channel expires
    return new Set(channels.filter((c) => this.channels.get(c)?.expiry !== undefined));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ch of this.channels.values()) {
      clearTimeout(ch.expiry);
      for (const f of [...ch.followers]) f.subscriber.error(new UnavailableError('live bus is closed'));
    }
    this.channels.clear();
  }

  private channel(name: string): Channel {
    let ch = this.channels.get(name);
    if (!ch) {
      ch = { messages: [], lastSeq: -1, ended: false, followers: new Set() };
      this.channels.set(name, ch);
    }
    return ch;
  }

  /** (Re)starts the channel's expiry: its retained state goes `ttlMs` after the last write. */
  private touch(name: string, ch: Channel): void {
    clearTimeout(ch.expiry);
    ch.expiry = setTimeout(() => {
      ch.expiry = undefined;
      ch.messages = [];
      ch.lastSeq = -1;
      ch.ended = false;
      this.dropIfIdle(name, ch);
    }, this.retention.ttlMs);
    ch.expiry.unref();
  }

  private dropIfIdle(name: string, ch: Channel): void {
    if (ch.followers.size === 0 && !ch.expiry && this.channels.get(name) === ch) this.channels.delete(name);
  }

  private assertOpen(): void {
    if (this.closed) throw new IllegalStateError('live bus is closed');
  }
}
