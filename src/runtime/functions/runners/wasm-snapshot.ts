/**
 * Which WebAssembly worker makes the interpreter snapshot and which boot from it. The first start makes
 * one (right after loading, before any function ran); later starts boot from it. One that fails to
 * make one lets a later start try again, a few times at most; a start from the snapshot that fails
 * drops it, so a bad snapshot costs one start, never the pool.
 */
import type { WasmWorkerOptions } from './wasm-worker.js';

const MAX_ATTEMPTS = 3;

type Plan = Pick<WasmWorkerOptions, 'snapshot' | 'makeSnapshot' | 'onSnapshot'>;

export class SnapshotKeeper {
  private bytes: Uint8Array | null = null;
  private making = false;
  private attempts = 0;

  /** Starts a worker with this keeper's plan: boot from the snapshot, make one, or neither. */
  async start<W>(start: (plan: Plan) => Promise<W>): Promise<W> {
    const snapshot = this.bytes;
    const make = !snapshot && !this.making && this.attempts < MAX_ATTEMPTS;
    if (make) {
      this.making = true;
      this.attempts++;
    }
    const keep = (bytes: Uint8Array) => {
      this.bytes = bytes;
    };
    try {
      return await start(snapshot ? { snapshot } : make ? { makeSnapshot: true, onSnapshot: keep } : {});
    } catch (err) {
      if (snapshot && this.bytes === snapshot) {
        this.bytes = null;
        this.attempts = MAX_ATTEMPTS; // a snapshot that cannot boot: load interpreters the long way
      }
      throw err;
    } finally {
      if (make) this.making = false;
    }
  }
}
