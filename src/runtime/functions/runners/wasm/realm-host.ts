/**
 * What the interpreter's realm gets from its host, and the rule for how it crosses.
 *
 * The realm (a vm context, see thread.ts) holds none of Node's globals; the few host services Pyodide needs (a clock,
 * randomness, text codecs, timers, its own files at boot, a console, the protocol) come from the worker
 * thread as OuterCapabilities and are wrapped here into the realm's own functions. Only primitives and
 * the realm's own objects cross: a Node object would hand out Node's `Function` constructor through its
 * `.constructor`, and an error thrown by Node is such an object, so every call is caught and rethrown
 * as the realm's error. installHost runs INSIDE the realm (serialised with toString): it uses nothing
 * from module scope and captures every built-in before user code can rewrite a prototype.
 */

/** Functions and classes of the worker thread's realm, lent to the interpreter's realm. */
export interface OuterCapabilities {
  /** a diagnostic line for the platform */
  log(line: string): void;
  /** the interpreter's own files (wasm, standard library, lock file), during boot only */
  readFile(path: string): Uint8Array;
  readText(path: string): string;
  now(): number;
  /** fills a typed array of at most 65536 bytes (Web Crypto's limit) */
  randomFill(view: Uint8Array): void;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(id: number): void;
  /** blocks until the runner sends the next request line */
  readRequest(): string;
  /** a chunk of the harness protocol to the runner */
  writeReply(chunk: string): void;
  /** a fresh interpreter's memory snapshot, for the runner to boot later interpreters from */
  saveSnapshot(bytes: Uint8Array): void;
  readonly TextDecoder: typeof TextDecoder;
  readonly TextEncoder: typeof TextEncoder;
}

/** The protocol and the boot-time services, as the realm's own functions. */
export interface HostProtocol {
  readRequest(): string;
  writeReply(chunk: string): void;
  /** the memory snapshot to boot from, when the runner has one (boot only) */
  snapshot(): Uint8Array | null;
  /** hands the runner a snapshot of this interpreter, made before any function ran (boot only) */
  saveSnapshot(bytes: Uint8Array): void;
  /** forgets the boot-only services */
  endBoot(): void;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the realm's global is untyped */
export function installHost(outer: OuterCapabilities): HostProtocol {
  const G: any = globalThis;
  const apply = Reflect.apply;
  const StringOf = String;
  const ErrorCtor = Error;
  const Uint8 = Uint8Array;
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const typedSet = TypedArrayProto.set;
  const typedSubarray = TypedArrayProto.subarray;
  const typedLength = Object.getOwnPropertyDescriptor(TypedArrayProto, 'length')!.get!;
  const typedBytes = Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteLength')!.get!;
  const { log, readFile, readText, now, randomFill, readRequest, writeReply, saveSnapshot } = outer;
  const { setTimeout: outerSetTimeout, clearTimeout: outerClearTimeout } = outer;
  const OuterDecoder = outer.TextDecoder;
  const OuterEncoder = outer.TextEncoder;

  const text = (value: unknown): string => {
    try {
      return StringOf(value);
    } catch {
      return '?';
    }
  };
  /** calls into the host; the host's errors come back as this realm's errors (message only) */
  const call = <T>(f: (...args: any[]) => T, ...args: unknown[]): T => {
    try {
      return apply(f, undefined, args);
    } catch (err) {
      let message = 'error';
      try {
        message = StringOf((err as { message?: unknown } | null)?.message ?? err);
      } catch {
        // a message that cannot be read stays "error"
      }
      throw new ErrorCtor(message);
    }
  };
  /** the host's bytes as a Uint8Array of this realm */
  const copyBytes = (source: Uint8Array): Uint8Array => {
    const copy = new Uint8(+apply(typedLength, source, []));
    apply(typedSet, copy, [source]);
    return copy;
  };

  const logLine = (...args: unknown[]) => {
    let line = '';
    for (let i = 0; i < args.length && line.length < 2000; i++) line += (i ? ' ' : '') + text(args[i]);
    call(log, line);
  };
  G.console = { log: logLine, info: logLine, warn: logLine, error: logLine, debug: logLine };
  G.performance = { now: () => +call(now) };
  G.crypto = {
    getRandomValues(view: Uint8Array) {
      const bytes = +apply(typedBytes, view, []); // a typed array of this realm, or a TypeError
      const per = bytes / +apply(typedLength, view, []) || 1;
      for (let at = 0; at * per < bytes; at += 65536 / per)
        call(randomFill, apply(typedSubarray, view, [at, at + 65536 / per]));
      return view;
    },
  };
  G.setTimeout = (f: (...a: unknown[]) => void, ms?: unknown, ...args: unknown[]) =>
    +call(outerSetTimeout, () => void apply(f, undefined, args), +(ms ?? 0) || 0);
  G.clearTimeout = (id: unknown) => void call(outerClearTimeout, +(id ?? 0) || 0);
  G.queueMicrotask = (f: () => void) => void Promise.resolve().then(f);

  class TextDecoderInRealm {
    readonly #decoder: InstanceType<typeof OuterDecoder>;
    constructor(label: unknown = 'utf-8', options?: { fatal?: unknown; ignoreBOM?: unknown }) {
      const opts = { fatal: !!options?.fatal, ignoreBOM: !!options?.ignoreBOM };
      this.#decoder = call(() => new OuterDecoder(text(label), opts));
    }
    get encoding(): string {
      return text(this.#decoder.encoding);
    }
    decode(
      input?: Parameters<InstanceType<typeof OuterDecoder>['decode']>[0],
      options?: { stream?: unknown },
    ): string {
      const decoder = this.#decoder;
      const stream = !!options?.stream;
      return text(call(() => decoder.decode(input, { stream })));
    }
  }
  class TextEncoderInRealm {
    readonly #encoder: InstanceType<typeof OuterEncoder> = call(() => new OuterEncoder());
    get encoding(): string {
      return 'utf-8';
    }
    encode(input: unknown = ''): Uint8Array {
      const encoder = this.#encoder;
      const s = text(input);
      return copyBytes(call(() => encoder.encode(s)));
    }
    encodeInto(input: unknown, dest: Uint8Array): { read: number; written: number } {
      const encoder = this.#encoder;
      const s = text(input);
      const r = call(() => encoder.encodeInto(s, dest));
      return { read: +r.read, written: +r.written };
    }
  }
  G.TextDecoder = TextDecoderInRealm;
  G.TextEncoder = TextEncoderInRealm;

  // Node formats any error's stack (its own code does so too) through `Error.prepareStackTrace` of the
  // realm the error was made in, passing an array of its own realm: pinned to nothing, and so is the
  // realm's `Error` that Node looks it up on
  const pin = (o: object, name: string, value: unknown) =>
    Object.defineProperty(o, name, { value, writable: false, configurable: false, enumerable: false });
  pin(ErrorCtor, 'prepareStackTrace', undefined);
  pin(G, 'Error', ErrorCtor);

  // Emscripten takes its "worker" code paths (no Node filesystem, sockets or child processes) when it
  // sees WorkerGlobalScope; the loader takes its "shell" ones, reading its files through these
  G.WorkerGlobalScope = function WorkerGlobalScope() {};
  G.readbuffer = (path: unknown) => copyBytes(call(readFile, text(path))).buffer;
  G.read = (path: unknown, mode?: unknown) =>
    mode === 'binary' ? copyBytes(call(readFile, text(path))) : text(call(readText, text(path)));
  G.load = () => {
    throw new ErrorCtor('load() is not available');
  };

  let booting = true;
  return {
    readRequest: () => text(call(readRequest)),
    writeReply: (chunk: unknown) => void call(writeReply, text(chunk)),
    snapshot() {
      if (!booting) return null;
      try {
        return copyBytes(call(readFile, 'snapshot'));
      } catch {
        return null; // the runner has none yet
      }
    },
    saveSnapshot(bytes: Uint8Array) {
      if (booting) call(saveSnapshot, bytes);
    },
    endBoot() {
      booting = false;
      delete G.readbuffer;
      delete G.read;
      delete G.load;
    },
  };
}
