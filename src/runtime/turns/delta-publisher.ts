/** Publishes a turn attempt's deltas in order (seq 1, 2, ...) without making the model stream wait. */
import type { LiveBus } from '../live-bus/live-bus.js';
import type { LlmDelta } from '../llm/llm.js';

export class DeltaPublisher {
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: LiveBus,
    private readonly channel: string,
  ) {}

  push(d: LlmDelta): void {
    const seq = ++this.seq;
    const message =
      d.type === 'content'
        ? { seq, type: 'content', content: d.text }
        : {
            seq,
            type: 'tool_call',
            index: d.index,
            id: d.id ?? null,
            name: d.name ?? null,
            arguments: d.argumentsDelta ?? '',
          };
    this.chain = this.chain.then(() => this.bus.publish(this.channel, message)).catch(() => {});
  }

  async end(): Promise<void> {
    await this.chain;
    await this.bus.end(this.channel).catch(() => {});
  }
}
