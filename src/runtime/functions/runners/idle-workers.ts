/**
 * The isolation rule of the warm pool, on its idle workers: a blank worker (started, never used) may go
 * to any key and from then on belongs to that key; a used worker goes back only to its own key; when
 * room is needed, the least recently used one goes first.
 */

interface Used<W> {
  readonly worker: W;
  readonly key: string;
}

export class IdleWorkers<W> {
  private readonly blank: W[] = [];
  /** used workers waiting for their key again, least recently released first */
  private readonly used: Used<W>[] = [];

  get size(): number {
    return this.blank.length + this.used.length;
  }

  get blankCount(): number {
    return this.blank.length;
  }

  addBlank(worker: W): void {
    this.blank.push(worker);
  }

  /** A worker that has run code under `key` waits for that key only. */
  addUsed(worker: W, key: string): void {
    this.used.push({ worker, key });
  }

  /**
   * A worker that may run `key`'s code: its own most recently used one (the others age and are the
   * first to be evicted), else a blank one, else none.
   */
  take(key: string): W | null {
    for (let i = this.used.length - 1; i >= 0; i--) {
      if (this.used[i]!.key === key) return this.used.splice(i, 1)[0]!.worker;
    }
    return this.blank.pop() ?? null;
  }

  /** Removes and returns the least recently used worker that has run code, to make room. */
  evictLeastRecent(): W | null {
    return this.used.shift()?.worker ?? null;
  }

  /** Removes and returns an idle worker to shrink the pool: one that has run code first, then a blank one. */
  evictAny(): W | null {
    return this.evictLeastRecent() ?? this.blank.pop() ?? null;
  }

  /** Removes `worker` (it died while idle); false when it is not idle. */
  remove(worker: W): boolean {
    const b = this.blank.indexOf(worker);
    if (b >= 0) return (this.blank.splice(b, 1), true);
    const u = this.used.findIndex((x) => x.worker === worker);
    if (u >= 0) return (this.used.splice(u, 1), true);
    return false;
  }

  /** Every idle worker, blank ones first (read-only: for the admin views). */
  workers(): W[] {
    return [...this.blank, ...this.used.map((x) => x.worker)];
  }

  /** Empties the idle side (closing the pool). */
  drain(): W[] {
    return [...this.blank.splice(0), ...this.used.splice(0).map((x) => x.worker)];
  }
}
