/**
 * Pyodide's two ES modules as scripts a vm context can evaluate. (A module in a context needs
 * `--experimental-vm-modules`, and a worker given that flag loses the options it inherits, such as tsx's
 * loader.) Both have no static import and one export statement, and use `import.meta` only for their own
 * URL; their dynamic `import()` calls stay, and fail in the realm, which has no module loader. The body
 * runs in a strict async function, as a module would: its names stay its own, `this` is undefined, and
 * no sloppy-mode frame hands out its function or receiver through a stack trace.
 */

/** The module's source as a script whose completion value is a promise of an object of its exports. */
export function moduleAsScript(source: string, url: string): string {
  const exports = [...source.matchAll(/export\s*\{([^}]*)\}\s*;?|export\s+default\s+([\w$]+)\s*;?/g)];
  const last = exports.at(-1);
  if (!last) throw new Error(`${url}: no export statement (not a Pyodide build this runner knows)`);
  const entries = last[2]
    ? [`"default": ${last[2]}`]
    : last[1]!.split(',').map((spec) => {
        const [local, exported = local] = spec.trim().split(/\s+as\s+/) as [string, string?];
        return `${JSON.stringify(exported)}: ${local}`;
      });
  const body = source.slice(0, last.index) + source.slice(last.index + last[0].length);
  const script = body.replaceAll('import.meta.url', JSON.stringify(url));
  if (/\bimport\.meta\b/.test(script)) throw new Error(`${url}: uses import.meta beyond its URL`);
  return `(async function () {\n'use strict';\n${script}\n;return { ${entries.join(', ')} };\n})()`;
}
