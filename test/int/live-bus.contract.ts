/**
 * The LiveBus contract: every adapter runs this suite with a fresh namespace and fresh
 * channel names per test. `open(namespace)` called twice with one namespace must give two
 * handles on the same backing store (two processes on one Redis; one memory bus in-process).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Observable } from 'rxjs';
import { IllegalStateError, UnavailableError, ValidationError } from '../../src/errors.js';
import type { LiveBus, LiveBusRetention, LiveMessage } from '../../src/runtime/live-bus/live-bus.js';
import { rejection, waitFor } from './job-queue.contract.js';

export type OpenLiveBus = (namespace: string, retention?: LiveBusRetention) => LiveBus;

interface Collected {
  readonly seqs: number[];
  readonly messages: LiveMessage[];
  /** resolves on complete, rejects on error */
  readonly done: Promise<void>;
  stop(): void;
}

export function liveBusContract(open: OpenLiveBus): void {
  let namespace: string;
  let opened: LiveBus[];
  let channel: string;
  const bus = (retention?: LiveBusRetention) => {
    const b = open(namespace, retention);
    opened.push(b);
    return b;
  };

  beforeEach(function () {
    namespace = `ns-${randomUUID()}`;
    opened = [];
    channel = `chat-${randomUUID()}`;
  });
  afterEach(async function () {
    for (const b of opened) await b.close();
  });

  const publishRange = async (b: LiveBus, from: number, to: number, ch = channel) => {
    for (let seq = from; seq <= to; seq++) await b.publish(ch, { seq, delta: `t${seq}` });
  };

  it('replays what is retained, then follows live until the channel ends', async function () {
    const b = bus();
    await publishRange(b, 1, 3);
    const got = collect(b.subscribe(channel));
    await waitFor(() => got.seqs.length === 3 || undefined);
    await publishRange(b, 4, 5);
    await b.end(channel);
    await got.done;
    expect(got.seqs).to.deep.equal([1, 2, 3, 4, 5]);
    expect(got.messages[3]).to.deep.equal({ seq: 4, delta: 't4' });
  });

  it('replays only messages after afterSeq', async function () {
    const b = bus();
    await publishRange(b, 1, 5);
    await b.end(channel);
    const got = collect(b.subscribe(channel, { afterSeq: 3 }));
    await got.done;
    expect(got.seqs).to.deep.equal([4, 5]);
  });

  it('has no gap and no duplicate for subscribers joining while messages flow', async function () {
    const b = bus();
    const joins = [0, 1, 40, 75, 120, 199];
    const subscribers: { afterSeq: number; got: Collected }[] = [];
    for (let seq = 1; seq <= 200; seq++) {
      if (joins.includes(seq))
        subscribers.push({ afterSeq: seq - 1, got: collect(b.subscribe(channel, { afterSeq: seq - 1 })) });
      await b.publish(channel, { seq });
    }
    await b.end(channel);
    for (const { afterSeq, got } of subscribers) {
      await got.done;
      expect(got.seqs, `afterSeq ${afterSeq}`).to.deep.equal(range(afterSeq + 1, 200));
    }
  });

  it('completes a subscriber that arrives after the end, whatever its afterSeq', async function () {
    const b = bus();
    await publishRange(b, 1, 2);
    await b.end(channel);
    await b.end(channel);
    for (const afterSeq of [undefined, 2, 50]) {
      const got = collect(b.subscribe(channel, afterSeq === undefined ? {} : { afterSeq }));
      await got.done;
      expect(got.seqs).to.deep.equal(afterSeq === undefined ? [1, 2] : []);
    }
  });

  it('completes a subscriber whose afterSeq is ahead of the channel when it ends', async function () {
    const b = bus();
    await publishRange(b, 1, 2);
    const got = collect(b.subscribe(channel, { afterSeq: 10 }));
    await sleep(50);
    await b.end(channel);
    await got.done;
    expect(got.seqs).to.deep.equal([]);
  });

  it('refuses a seq that does not increase, a publish after the end, and a bad seq', async function () {
    const b = bus();
    await b.publish(channel, { seq: 5 });
    for (const seq of [5, 4]) {
      expect(await rejection(b.publish(channel, { seq })))
        .to.be.instanceOf(IllegalStateError)
        .and.include({ field: 'seq' });
    }
    for (const seq of [-1, 1.5]) {
      expect(await rejection(b.publish(channel, { seq }))).to.be.instanceOf(ValidationError);
    }
    await b.end(channel);
    expect(await rejection(b.publish(channel, { seq: 6 }))).to.be.instanceOf(IllegalStateError);
  });

  it('keeps only about the last maxLength messages of a channel', async function () {
    const b = bus({ maxLength: 10, ttlMs: 60_000 });
    await publishRange(b, 1, 600);
    await b.end(channel);
    const got = collect(b.subscribe(channel));
    await got.done;
    expect(got.seqs.length).to.be.within(10, 300);
    expect(got.seqs).to.deep.equal(range(601 - got.seqs.length, 600));
  });

  it('retains a channel from its first write (or its end) until its ttl passes', async function () {
    // a ttl no busy machine outlasts between these steps; the expiry itself on a short one below
    const b = bus({ maxLength: 100, ttlMs: 600_000 });
    const other = `chat-${randomUUID()}`;
    const never = `chat-${randomUUID()}`;
    const retained = async (bus: LiveBus, ...channels: string[]) =>
      [...(await bus.retained(channels))].sort();
    const watching = collect(b.subscribe(channel)); // a subscriber alone retains nothing
    expect(await retained(b, channel)).to.deep.equal([]);
    await b.publish(channel, { seq: 1 });
    expect(await retained(b, channel, never)).to.deep.equal([channel]);
    expect(await retained(bus(), channel)).to.deep.equal([channel]); // another instance on the same store
    await b.end(other);
    expect(await retained(b, never, other, channel)).to.deep.equal([channel, other].sort());
    expect(await retained(b)).to.deep.equal([]);
    watching.stop();
    const quick = open(`${namespace}-quick`, { maxLength: 100, ttlMs: 150 }); // its own store: its own ttl
    opened.push(quick);
    const [written, ended] = [`chat-${randomUUID()}`, `chat-${randomUUID()}`];
    await quick.publish(written, { seq: 1 });
    await quick.end(ended);
    await waitFor(async () => (await quick.retained([written, ended])).size === 0 || undefined, 30_000);
  });

  it('forgets a channel once its ttl has passed since the last write', async function () {
    const b = bus({ maxLength: 100, ttlMs: 150 });
    await publishRange(b, 1, 3);
    await sleep(400);
    const got = collect(b.subscribe(channel));
    await sleep(100);
    got.stop();
    expect(got.seqs).to.deep.equal([]);
    await b.publish(channel, { seq: 1 });
  });

  it('delivers across two instances on the same backing store', async function () {
    const [a, b] = [bus(), bus()];
    const onB = collect(b.subscribe(channel));
    await publishRange(a, 1, 2);
    await waitFor(() => onB.seqs.length === 2 || undefined);
    const onA = collect(a.subscribe(channel));
    await publishRange(b, 3, 4);
    await a.end(channel);
    await Promise.all([onA.done, onB.done]);
    expect(onA.seqs).to.deep.equal([1, 2, 3, 4]);
    expect(onB.seqs).to.deep.equal([1, 2, 3, 4]);
  });

  it('follows several channels at once, each with only its own messages', async function () {
    const b = bus();
    const first = collect(b.subscribe(channel));
    await b.publish(channel, { seq: 1 });
    await waitFor(() => first.seqs.length === 1 || undefined);
    const other = `${channel}-other`;
    const second = collect(b.subscribe(other));
    await sleep(50);
    await b.publish(other, { seq: 7 });
    await waitFor(() => second.seqs.length === 1 || undefined, 3000);
    await Promise.all([b.end(channel), b.end(other)]);
    await Promise.all([first.done, second.done]);
    expect([first.seqs, second.seqs]).to.deep.equal([[1], [7]]);
  });

  it('errors open subscriptions with UnavailableError on close', async function () {
    const b = bus();
    const got = collect(b.subscribe(channel));
    await b.publish(channel, { seq: 1 });
    await waitFor(() => got.seqs.length === 1 || undefined);
    await b.close();
    expect(await rejection(got.done)).to.be.instanceOf(UnavailableError);
    expect(await rejection(b.publish(channel, { seq: 2 }))).to.be.instanceOf(IllegalStateError);
  });
}

function collect(source: Observable<LiveMessage>): Collected {
  const messages: LiveMessage[] = [];
  const seqs: number[] = [];
  let stop = () => {};
  const done = new Promise<void>((resolve, reject) => {
    const sub = source.subscribe({
      next: (m) => (messages.push(m), seqs.push(m.seq)),
      error: reject,
      complete: resolve,
    });
    stop = () => sub.unsubscribe();
  });
  return { seqs, messages, done, stop: () => stop() };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
