/**
 * The memory caps inside the interpreter's realm, where the worker's `resourceLimits` do not reach.
 *
 * A worker's heap limit bounds JavaScript objects but not ArrayBuffer memory, and Python's heap is the
 * WebAssembly memory, an ArrayBuffer. So: the WebAssembly memory may not grow past `wasmMemoryBytes`
 * (Emscripten's allocator then fails and Python raises MemoryError); ArrayBuffers made from JavaScript
 * (Pyodide's own conversions, and code that reaches into the realm through the FFI) may total
 * `bufferBytes` per run — every constructor and method that allocates one is wrapped, the originals
 * left unreachable — and past that the allocation fails; and after boot no new WebAssembly module,
 * instance or memory can be made (each would bring memory of its own). Nothing is credited back (the
 * thread's event loop never turns to learn what was collected), so a worker whose runs made more than
 * `bufferBytes` in all is recycled after its run (`spent`): what a run may have kept stays under twice
 * the budget. The in-memory filesystem's own storage is exempt: its files have their own cap.
 *
 * installMemoryCaps runs INSIDE the realm (serialised with toString): it uses nothing from module scope
 * and captures every built-in it relies on before user code can rewrite a prototype.
 */

export interface MemoryLimits {
  /** WebAssembly linear memory: the Python heap */
  readonly wasmMemoryBytes: number;
  /** ArrayBuffer bytes JavaScript may allocate per run (and over a worker's life before it is recycled) */
  readonly bufferBytes: number;
}

export interface MemoryCaps {
  /** the interpreter is loaded: budgets start; no more WebAssembly modules or memories */
  afterBoot(): void;
  /** a new run: its ArrayBuffer budget starts from zero */
  startRun(): void;
  /** the worker has made more ArrayBuffers than one run may: recycle it */
  spent(): boolean;
  /** runs `f` without charging its allocations (storage with a cap of its own) */
  exempt<T>(f: () => T): T;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- built-ins handled generically */
export function installMemoryCaps(limits: MemoryLimits): MemoryCaps {
  const G: any = globalThis;
  const Wasm = G.WebAssembly;
  const { apply, construct } = Reflect;
  const { defineProperty, getOwnPropertyDescriptor, getOwnPropertyDescriptors, getPrototypeOf } = Object;
  const { setPrototypeOf, getOwnPropertyNames } = Object;
  const { ownKeys } = Reflect;
  const arrayFrom = Array.from;
  const NumberOf = Number;
  const StringOf = String;
  const RangeErrorCtor = RangeError;
  const TypeErrorCtor = TypeError;
  const getter = (o: object, name: string) => getOwnPropertyDescriptor(o, name)!.get!;
  const abLength = getter(ArrayBuffer.prototype, 'byteLength');
  const sabLength = getter(SharedArrayBuffer.prototype, 'byteLength');
  const TypedArray = getPrototypeOf(Uint8Array);
  const typedLength = getter(TypedArray.prototype, 'length');
  const typedBytes = getter(TypedArray.prototype, 'byteLength');
  const memoryBuffer = getter(Wasm.Memory.prototype, 'buffer');
  const PAGE = 65536;
  const wasmMax = +limits.wasmMemoryBytes;
  const bufferMax = +limits.bufferBytes;

  const outOfMemory = (what: string) => new RangeErrorCtor(`${what}: the function ran out of memory`);
  const tryLength = (get: () => unknown, x: unknown): number | null => {
    try {
      return NumberOf(apply(get, x, []));
    } catch {
      return null;
    }
  };
  const bufferLength = (x: unknown) => tryLength(abLength, x) ?? tryLength(sabLength, x);
  const lock = (o: object, name: PropertyKey, value: unknown) =>
    defineProperty(o, name, { value, writable: false, configurable: false, enumerable: false });

  let runBytes = 0;
  let lifeBytes = 0;
  let exempted = false;
  const charge = (bytes: number, what: string) => {
    if (!(bytes > 0) || exempted) return;
    if (runBytes + bytes > bufferMax) throw outOfMemory(what);
    runBytes += bytes;
    lifeBytes += bytes;
  };
  const index = (value: unknown) => {
    const n = value === undefined ? 0 : NumberOf(value);
    return n > 0 ? n : 0;
  };

  // the WebAssembly memory (Emscripten grows it through this method; a refusal is a failed malloc)
  const realGrow = Wasm.Memory.prototype.grow;
  lock(Wasm.Memory.prototype, 'grow', function grow(this: unknown, delta: unknown) {
    const pages = index(delta);
    const size = bufferLength(apply(memoryBuffer, this, [])) ?? 0;
    if (size + pages * PAGE > wasmMax) throw outOfMemory('WebAssembly.Memory.grow()');
    return apply(realGrow, this, [pages]);
  });

  /** `Real` replaced, everywhere code can find it, by `Wrapped` (same prototype, same statics) */
  const replace = (name: string, Real: any, Wrapped: any) => {
    const statics = getOwnPropertyDescriptors(Real) as Record<PropertyKey, PropertyDescriptor>;
    for (const key of ownKeys(statics)) {
      if (key !== 'prototype' && key !== 'length' && key !== 'name')
        defineProperty(Wrapped, key, statics[key as string]!);
    }
    defineProperty(Wrapped, 'name', { value: name });
    defineProperty(Wrapped, 'prototype', { value: Real.prototype });
    setPrototypeOf(Wrapped, getPrototypeOf(Real));
    lock(Real.prototype, 'constructor', Wrapped);
    G[name] = Wrapped;
  };

  const wrapBuffer = (name: string, Real: any, resizeName: string) => {
    const Wrapped = function (this: unknown, length?: unknown, options?: unknown) {
      if (!new.target) throw new TypeErrorCtor(`Constructor ${name} requires 'new'`);
      const n = index(length);
      charge(n, name);
      return construct(Real, [n, options], new.target === Wrapped ? Real : new.target);
    };
    replace(name, Real, Wrapped);
    const resize = Real.prototype[resizeName];
    if (typeof resize === 'function')
      lock(Real.prototype, resizeName, function (this: ArrayBuffer, length?: unknown) {
        const n = index(length);
        charge(n - (bufferLength(this) ?? 0), `${name}.prototype.${resizeName}()`);
        return apply(resize, this, [n]);
      });
    for (const method of ['transfer', 'transferToFixedLength']) {
      const transfer = Real.prototype[method];
      if (typeof transfer === 'function')
        lock(Real.prototype, method, function (this: ArrayBuffer, length?: unknown) {
          const n = length === undefined ? (bufferLength(this) ?? 0) : index(length);
          charge(n, `${name}.prototype.${method}()`);
          return apply(transfer, this, [n]);
        });
    }
  };
  wrapBuffer('ArrayBuffer', ArrayBuffer, 'resize');
  wrapBuffer('SharedArrayBuffer', SharedArrayBuffer, 'grow');

  const wrapTyped = (name: string, Real: any) => {
    const bytesPer: number = Real.BYTES_PER_ELEMENT;
    const Wrapped = function (this: unknown, ...args: unknown[]) {
      if (!new.target) throw new TypeErrorCtor(`Constructor ${name} requires 'new'`);
      const first = args[0];
      let pass: unknown[] = args;
      if (first === null || (typeof first !== 'object' && typeof first !== 'function')) {
        pass = [index(first)];
        charge(index(first) * bytesPer, name);
      } else if (bufferLength(first) === null) {
        // not a view over an existing buffer: a copy of a typed array, or of an iterable/array-like
        const copied = tryLength(typedLength, first);
        if (copied === null) pass = [arrayFrom(first as ArrayLike<unknown>)];
        charge((copied ?? (pass[0] as unknown[]).length) * bytesPer, name);
      }
      return construct(Real, pass, new.target === Wrapped ? Real : new.target);
    };
    replace(name, Real, Wrapped);
  };
  for (const name of getOwnPropertyNames(G)) {
    const candidate = G[name];
    if (typeof candidate === 'function' && getPrototypeOf(candidate) === TypedArray)
      wrapTyped(name, candidate);
  }
  // Uint8Array.fromBase64/fromHex (newer engines) decode straight into a new buffer
  for (const method of ['fromBase64', 'fromHex']) {
    const original = G.Uint8Array[method];
    if (typeof original === 'function')
      lock(G.Uint8Array, method, function (this: unknown, ...args: unknown[]) {
        charge(StringOf(args[0]).length, `Uint8Array.${method}()`);
        return apply(original, this, args);
      });
  }
  // the methods that make a typed array of the same kind without asking its constructor
  for (const method of ['toReversed', 'toSorted', 'with']) {
    const original = TypedArray.prototype[method];
    if (typeof original === 'function')
      lock(TypedArray.prototype, method, function (this: Uint8Array, ...args: unknown[]) {
        charge(tryLength(typedBytes, this) ?? 0, `TypedArray.prototype.${method}()`);
        return apply(original, this, args);
      });
  }

  const refuse = (what: string) =>
    function refused() {
      throw new TypeErrorCtor(`${what} is not available to functions`);
    };
  return {
    exempt<T>(f: () => T): T {
      const before = exempted;
      exempted = true;
      try {
        return f();
      } finally {
        exempted = before;
      }
    },
    startRun() {
      runBytes = 0;
    },
    spent: () => lifeBytes > bufferMax,
    afterBoot() {
      runBytes = 0;
      lifeBytes = 0;
      const W = Wasm;
      for (const name of ['Module', 'Instance', 'Memory', 'Table', 'Global', 'Tag', 'Exception']) {
        const ctor = W[name];
        if (typeof ctor !== 'function') continue;
        lock(ctor.prototype, 'constructor', refuse(`WebAssembly.${name}`));
        W[name] = refuse(`WebAssembly.${name}`);
      }
      for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming', 'validate'])
        W[name] = refuse(`WebAssembly.${name}`);
    },
  };
}
