/**
 * The worker thread of one WebAssembly harness (in the host process, wasm/host-process.ts): builds the
 * interpreter's realm (a vm context without Node's globals and with code generation from strings off),
 * loads Pyodide into it, and serves runs until the host terminates it. Requests arrive on a
 * MessagePort, read synchronously (Atomics.wait + receiveMessageOnPort): the interpreter blocks between
 * runs, so nothing of a run keeps executing after its reply, and this thread's event loop never turns
 * again once serving starts (no timer, promise job or unhandled-rejection report of the realm ever
 * runs). If the interpreter fails, its error is reduced to a message right where it surfaces and the
 * thread exits: a value of the realm must never reach Node's error reporting, which would hand it
 * Node's own objects (util.inspect's options, stack-trace arrays).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { HARNESS_BOOT_PYTHON } from './harness-boot.js';
import { installHost, type OuterCapabilities } from './realm-host.js';
import { capFiles } from './realm-files.js';
import { bootInterpreter, type InterpreterSettings } from './realm-interpreter.js';
import { installMemoryCaps } from './realm-memory.js';
import { moduleAsScript } from './module-script.js';

export interface ThreadData {
  readonly pyodideDir: string;
  /** boot from this snapshot of a fresh interpreter */
  readonly snapshot: Uint8Array | null;
  /** without a snapshot to boot from: make one and send it */
  readonly makeSnapshot: boolean;
  readonly harnessSource: string;
  /** a SharedArrayBuffer of one Int32: 1 when a request waits on `requests` */
  readonly signal: SharedArrayBuffer;
  readonly requests: MessagePort;
  readonly wasmMemoryBytes: number;
  readonly bufferBytes: number;
  readonly fileBytes: number;
  readonly env: Readonly<Record<string, string>>;
}

/** A message to the host: a protocol chunk (string), a diagnostic, a snapshot, or why the thread ends. */
export type ThreadMessage =
  string | { readonly log: string } | { readonly snapshot: Uint8Array } | { readonly fatal: string };

const HARNESS_PATH = '/opt/sinas/sinas_harness.py';
const data = workerData as ThreadData;
const port = parentPort!;
const post = (m: ThreadMessage) => port.postMessage(m);

function bootFiles(dir: string): Map<string, Uint8Array | string> {
  const files = new Map<string, Uint8Array | string>();
  for (const name of ['pyodide.asm.wasm', 'python_stdlib.zip'])
    files.set(path.join(dir, name), readFileSync(path.join(dir, name)));
  files.set(path.join(dir, 'pyodide-lock.json'), readFileSync(path.join(dir, 'pyodide-lock.json'), 'utf8'));
  if (data.snapshot) files.set('snapshot', data.snapshot);
  return files;
}

function capabilities(files: Map<string, Uint8Array | string>): OuterCapabilities {
  const flag = new Int32Array(data.signal);
  const timers = new Map<number, NodeJS.Timeout>();
  let nextTimer = 1;
  const file = <T>(p: string, kind: string): T => {
    const f = files.get(String(p));
    if (typeof f !== kind) throw new Error(`no such file: ${String(p)}`);
    return f as T;
  };
  return {
    log: (line) => post({ log: String(line).slice(0, 2000) }),
    readFile: (p) => file<Uint8Array>(p, 'object'),
    readText: (p) => file<string>(p, 'string'),
    now: () => performance.now(),
    randomFill: (view) => void crypto.getRandomValues(view),
    setTimeout: (callback, ms) => {
      const id = nextTimer++;
      timers.set(
        id,
        setTimeout(() => (timers.delete(id), callback()), Number(ms)),
      );
      return id;
    },
    clearTimeout: (id) => {
      clearTimeout(timers.get(Number(id)));
      timers.delete(Number(id));
    },
    readRequest: () => {
      for (;;) {
        const m = receiveMessageOnPort(data.requests);
        if (m) return String(m.message);
        Atomics.wait(flag, 0, 0);
        Atomics.store(flag, 0, 0);
      }
    },
    writeReply: (chunk) => post(String(chunk)),
    saveSnapshot: (bytes) => {
      const copy = new Uint8Array(bytes); // made at boot, before any function ran
      port.postMessage({ snapshot: copy } satisfies ThreadMessage, [copy.buffer]);
    },
    TextDecoder,
    TextEncoder,
  };
}

/** Evaluates a function's source inside the realm, in strict mode: the result is the realm's own function. */
function inRealm<F>(context: vm.Context, f: F): F {
  return vm.runInContext(`'use strict';\n(${String(f)})`, context) as F;
}

/** A message from whatever the realm threw; reading it runs only the realm's own code, with no arguments. */
function messageOf(err: unknown): string {
  try {
    return String((err as { message?: unknown } | null)?.message ?? err).slice(0, 2000);
  } catch {
    return 'the interpreter failed with an error that cannot be read';
  }
}

function exitWith(err: unknown): never {
  post({ fatal: messageOf(err) });
  process.exit(1);
}

/** Loads the interpreter; resolves to the serve loop (which returns only by throwing). */
async function boot(): Promise<() => void> {
  const files = bootFiles(data.pyodideDir);
  const context = vm.createContext(Object.create(null), {
    name: 'sinas-function',
    codeGeneration: { strings: false, wasm: true },
  });
  // tsx (esbuild keepNames) wraps functions in __name(); the realm gets a harmless one
  vm.runInContext('var __name = (target) => target;', context);
  const caps = inRealm(
    context,
    installMemoryCaps,
  )({
    wasmMemoryBytes: data.wasmMemoryBytes,
    bufferBytes: data.bufferBytes,
  });
  const host = inRealm(context, installHost)(capabilities(files));
  const load = (file: string) => {
    const full = path.join(data.pyodideDir, file);
    const script = moduleAsScript(readFileSync(full, 'utf8'), `file://${full}`);
    return new vm.Script(script, { filename: full }).runInContext(context) as Promise<
      Record<string, unknown>
    >;
  };
  const loader = await load('pyodide.mjs');
  const asm = await load('pyodide.asm.mjs');
  const serve = await inRealm(context, bootInterpreter)(
    loader.loadPyodide as never,
    asm.default,
    host,
    caps,
    inRealm(context, capFiles),
    JSON.stringify({
      indexURL: `${data.pyodideDir}/`,
      env: data.env,
      fileBytes: data.fileBytes,
      makeSnapshot: data.makeSnapshot,
    } satisfies InterpreterSettings),
  );
  files.clear();
  return () => serve(HARNESS_BOOT_PYTHON, data.harnessSource, HARNESS_PATH);
}

const serve = await boot().catch(exitWith);
try {
  serve(); // synchronous from here on: a throw is caught below before any other code of the thread runs
  exitWith(new Error('the harness stopped serving'));
} catch (err) {
  exitWith(err);
}
