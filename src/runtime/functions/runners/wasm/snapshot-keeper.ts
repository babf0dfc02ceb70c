/**
 * Which interpreter thread makes the memory snapshot and which boot from it. The first start makes one
 * (right after loading, before any function ran); later starts boot from it. One that fails to make
 * one lets a later start try again, a few times at most; a start from the snapshot that fails to boot
 * drops it, so a bad snapshot costs one start, never the pool.
 */
const MAX_ATTEMPTS = 3;

export interface SnapshotPlan {
  /** boot from this snapshot */
  readonly snapshot?: Uint8Array;
  /** boot without one, and make one */
  readonly makeSnapshot?: boolean;
}

export class SnapshotKeeper {
  private bytes: Uint8Array | null = null;
  private making = false;
  private attempts = 0;

  plan(): SnapshotPlan {
    if (this.bytes) return { snapshot: this.bytes };
    if (this.making || this.attempts >= MAX_ATTEMPTS) return {};
    this.making = true;
    this.attempts++;
    return { makeSnapshot: true };
  }

  /** The thread started with `plan` booted (or ended first), having made `made` if it was asked to. */
  settle(plan: SnapshotPlan, booted: boolean, made: Uint8Array | null): void {
    if (plan.makeSnapshot) {
      this.making = false;
      if (made) this.bytes = made;
    }
    if (plan.snapshot && !booted && this.bytes === plan.snapshot) {
      this.bytes = null;
      this.attempts = MAX_ATTEMPTS; // a snapshot that cannot boot: load interpreters the long way
    }
  }
}
