/**
 * Loads Pyodide inside the realm and hands the harness its protocol. Runs INSIDE the realm (serialised
 * with toString; nothing from module scope): everything it receives from the worker thread is a
 * primitive (strings, numbers) or the realm's own function, and every object it gives Pyodide — whose
 * config Python can read back — is made here, so no object of Node's realm is ever within reach.
 */
import type { HostProtocol } from './realm-host.js';
import type { MemoryCaps } from './realm-memory.js';

export type CapFiles = (FS: unknown, fileBytes: number, exempt: MemoryCaps['exempt']) => void;

/** Resolves once the interpreter is loaded, to the function that serves runs until the interpreter fails. */
/* eslint-disable @typescript-eslint/no-explicit-any -- Pyodide's API as the realm sees it */
export async function bootInterpreter(
  loadPyodide: (config: object) => Promise<any>,
  createPyodideModule: unknown,
  host: HostProtocol,
  caps: MemoryCaps,
  capFiles: CapFiles,
  indexURL: string,
  envJson: string,
  fileBytes: number,
): Promise<(bootPython: string, harnessSource: string, harnessPath: string) => void> {
  const py = await loadPyodide({
    indexURL: `${indexURL}`,
    createPyodideModule,
    // `import js` finds nothing: the realm's globals are not Python's business
    jsglobals: Object.freeze(Object.create(null)),
    env: JSON.parse(`${envJson}`),
    args: [],
    packages: [],
    stdin: () => null,
    stdout: () => {},
    stderr: () => {},
  });
  host.endBoot();
  capFiles(py.FS, +fileBytes, caps.exempt);
  caps.afterBoot();
  return (bootPython, harnessSource, harnessPath) => {
    const globals = py.globals.get('dict')();
    globals.set('read_request', () => host.readRequest());
    globals.set('write_reply', (chunk: unknown) => host.writeReply(`${chunk}`));
    globals.set('harness_source', `${harnessSource}`);
    globals.set('harness_path', `${harnessPath}`);
    py.runPython(`${bootPython}`, { globals, filename: '<sinas-boot>' });
  };
}
