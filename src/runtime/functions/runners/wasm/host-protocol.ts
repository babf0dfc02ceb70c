/**
 * The messages between the platform and its WebAssembly host process (Node IPC, advanced
 * serialization). The platform asks for interpreters and forwards request lines; the host answers
 * with each interpreter thread's protocol chunks, diagnostics and end, by thread id.
 */

export interface WasmLimits {
  /** the Python heap (WebAssembly memory) */
  readonly wasmMemoryBytes: number;
  /** ArrayBuffers JavaScript may allocate over an interpreter's life (code reaching through the FFI) */
  readonly bufferBytes: number;
  /** files written into the in-memory filesystem */
  readonly fileBytes: number;
  /** a thread's JavaScript heap (the interpreter's own objects, and any the function makes) */
  readonly heapMb: number;
}

export interface HostConfig {
  readonly pyodideDir: string;
  readonly harnessSource: string;
  readonly limits: WasmLimits;
}

export type ToHost =
  | { readonly op: 'configure'; readonly config: HostConfig }
  | { readonly op: 'start'; readonly id: number }
  | { readonly op: 'request'; readonly id: number; readonly line: string }
  | { readonly op: 'kill'; readonly id: number };

/** How a thread ended: its exit code, and the error that ended it (ERR_WORKER_OUT_OF_MEMORY, ...). */
export interface ThreadEnd {
  readonly code: number;
  readonly error: { readonly message: string; readonly code?: string } | null;
}

export type FromHost =
  | { readonly id: number; readonly chunk: string }
  | { readonly id: number; readonly log: string }
  | { readonly id: number; readonly fatal: string }
  | { readonly id: number; readonly end: ThreadEnd };
