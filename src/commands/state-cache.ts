/**
 * A bounded LRU of folded stream states. A stale entry is harmless: the append's expected revision
 * catches it, and a decision refused (or a no-op) on a cached state is decided again on a fresh read.
 */
export interface Loaded<S> {
  readonly state: S;
  readonly revision: bigint | undefined;
  /** command id → `$all` position of its last event */
  readonly commands: Map<string, bigint>;
}

export class StateCache {
  private readonly entries = new Map<string, Loaded<unknown>>();

  constructor(private readonly max: number) {}

  get<S>(stream: string): Loaded<S> | undefined {
    const hit = this.entries.get(stream);
    if (!hit) return undefined;
    this.entries.delete(stream);
    this.entries.set(stream, hit);
    return hit as Loaded<S>;
  }

  set(stream: string, loaded: Loaded<unknown>): void {
    this.entries.delete(stream);
    this.entries.set(stream, loaded);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(stream: string): void {
    this.entries.delete(stream);
  }
}
