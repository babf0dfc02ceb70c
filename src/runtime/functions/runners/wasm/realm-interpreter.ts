/**
 * Loads Pyodide inside the realm and hands the harness its protocol. Runs INSIDE the realm (serialised
 * with toString; nothing from module scope): everything it receives from the worker thread is a
 * primitive (strings, numbers) or the realm's own function, and every object it gives Pyodide — whose
 * config Python can read back — is made here, so no object of Node's realm is ever within reach.
 *
 * Loading takes seconds, most of it Python's start-up; a memory snapshot of a fresh interpreter
 * (Pyodide's makeMemorySnapshot, taken right after loading, before the harness or any function ran)
 * boots the next ones in a fraction of that. The runner has the first interpreter make one.
 */
import type { HostProtocol } from './realm-host.js';
import type { MemoryCaps } from './realm-memory.js';

export type CapFiles = (FS: unknown, fileBytes: number, exempt: MemoryCaps['exempt']) => void;

/** What the thread tells the realm, as JSON (so nothing but the realm's own objects results). */
export interface InterpreterSettings {
  readonly indexURL: string;
  readonly env: Readonly<Record<string, string>>;
  readonly fileBytes: number;
  /** boot without a snapshot, make one and save it (the host gives none to boot from) */
  readonly makeSnapshot: boolean;
}

/** Resolves once the interpreter is loaded, to the function that serves runs until the interpreter fails. */
/* eslint-disable @typescript-eslint/no-explicit-any -- Pyodide's API as the realm sees it */
export async function bootInterpreter(
  loadPyodide: (config: object) => Promise<any>,
  createPyodideModule: unknown,
  host: HostProtocol,
  caps: MemoryCaps,
  capFiles: CapFiles,
  settingsJson: string,
): Promise<(bootPython: string, harnessSource: string, harnessPath: string) => void> {
  const settings = JSON.parse(`${settingsJson}`) as InterpreterSettings;
  const snapshot = host.snapshot();
  const make = !snapshot && settings.makeSnapshot;
  const py = await loadPyodide({
    indexURL: settings.indexURL,
    createPyodideModule,
    // `import js` finds nothing: the realm's globals are not Python's business
    jsglobals: Object.freeze(Object.create(null)),
    env: settings.env,
    args: [],
    packages: [],
    stdin: () => null,
    stdout: () => {},
    stderr: () => {},
    ...(snapshot ? { _loadSnapshot: snapshot } : make ? { _makeSnapshot: true } : {}),
  });
  if (make) {
    try {
      host.saveSnapshot(py.makeMemorySnapshot());
    } catch (err) {
      console.warn(`no interpreter snapshot: ${(err as Error)?.message}`);
    }
  }
  host.endBoot();
  capFiles(py.FS, +settings.fileBytes, caps.exempt);
  caps.afterBoot();
  return (bootPython, harnessSource, harnessPath) => {
    const globals = py.globals.get('dict')();
    globals.set('read_request', () => {
      caps.startRun(); // the request's own conversion into Python is the run's first charge
      return host.readRequest();
    });
    globals.set('buffers_spent', () => caps.spent());
    globals.set('write_reply', (chunk: unknown) => host.writeReply(`${chunk}`));
    globals.set('harness_source', `${harnessSource}`);
    globals.set('harness_path', `${harnessPath}`);
    py.runPython(`${bootPython}`, { globals, filename: '<sinas-boot>' });
  };
}
