/**
 * Compiles a component's TSX with esbuild into one IIFE that sets `window.__SinasComponent__` to the
 * module's default export. Its imports may name only the modules the render page provides
 * (`react`, `react-dom`, `@sinas/sdk`, ...: the page's `require` shim); any other import is a compile
 * error, so a bundle never reads a file of the server it was compiled on.
 */
import { build, type Message, type Plugin } from 'esbuild';
import type { CompileError } from '../../events/component-events.js';

/** what the render page's `require` provides (browser/sinas-runtime.js) */
export const PROVIDED_MODULES = [
  'react',
  'react/jsx-runtime',
  'react-dom',
  'react-dom/client',
  '@sinas/sdk',
  '@sinas/ui',
] as const;

export type CompileOutcome =
  | { readonly ok: true; readonly bundle: string; readonly sourceMap?: string }
  | { readonly ok: false; readonly errors: readonly CompileError[] };

const onlyProvided: Plugin = {
  name: 'sinas-provided-modules',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if ((PROVIDED_MODULES as readonly string[]).includes(args.path))
        return { path: args.path, external: true };
      return {
        errors: [
          { text: `cannot import '${args.path}': a component may import ${PROVIDED_MODULES.join(', ')}` },
        ],
      };
    });
  },
};

const asError = (m: Message): CompileError => ({
  text: m.text,
  line: m.location?.line ?? null,
  column: m.location?.column ?? null,
});

export async function compileComponent(source: string): Promise<CompileOutcome> {
  try {
    const out = await build({
      stdin: { contents: source, loader: 'tsx', sourcefile: 'component.tsx', resolveDir: '/' },
      bundle: true,
      write: false,
      // the map beside the bundle (reference §5.9 `source_map`), not linked from it; nothing is written
      outfile: 'component.js',
      sourcemap: 'external',
      format: 'iife',
      globalName: '__SinasComponentModule__',
      platform: 'browser',
      target: 'es2020',
      jsx: 'automatic',
      minify: false,
      logLevel: 'silent',
      plugins: [onlyProvided],
      footer: {
        js: 'window.__SinasComponent__ = __SinasComponentModule__ && (__SinasComponentModule__.default || __SinasComponentModule__);',
      },
    });
    const file = (suffix: string) => out.outputFiles.find((f) => f.path.endsWith(suffix))!.text;
    return { ok: true, bundle: file('component.js'), sourceMap: file('component.js.map') };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) return { ok: false, errors: errors.map(asError) };
    throw err;
  }
}
