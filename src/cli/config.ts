/**
 * `sinas apply -f file.yaml [--dry-run] [--force]`, `sinas validate -f file.yaml`, `sinas export [-o file]`:
 * declarative config over the API (SINAS_URL, default http://127.0.0.1:8000; SINAS_API_KEY).
 * Prints the change list readably; exits 0 on success, 1 when the config is invalid or refused, 2 on usage.
 */
import { readFile, writeFile } from 'node:fs/promises';

export interface CliIo {
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly fetch?: typeof fetch;
}

export const CONFIG_USAGE =
  'usage: sinas apply -f file.yaml [--dry-run] [--force] | sinas validate -f file.yaml | sinas export [-o file]';

interface Args {
  readonly file?: string;
  readonly output?: string;
  readonly dryRun: boolean;
  readonly force: boolean;
}

function parseArgs(argv: readonly string[]): Args | undefined {
  const a: { file?: string; output?: string; dryRun: boolean; force: boolean } = {
    dryRun: false,
    force: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if ((x === '-f' || x === '--file') && argv[i + 1]) a.file = argv[++i];
    else if ((x === '-o' || x === '--output') && argv[i + 1]) a.output = argv[++i];
    else if (x === '--dry-run') a.dryRun = true;
    else if (x === '--force') a.force = true;
    else return undefined;
  }
  return a;
}

export async function configCommand(command: string, argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (!args || (command !== 'export' && !args.file)) {
    io.err(CONFIG_USAGE);
    return 2;
  }
  const call = (path: string, init: RequestInit = {}) =>
    (io.fetch ?? fetch)(`${io.url.replace(/\/$/, '')}${path}`, {
      ...init,
      headers: {
        ...(io.apiKey ? { 'x-api-key': io.apiKey } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  if (command === 'export') {
    const res = await call('/api/v1/config/export');
    if (!res.ok) return failed(io, res.status, await res.text());
    const yaml = await res.text();
    if (args.output) {
      await writeFile(args.output, yaml);
      io.out(`exported to ${args.output}`);
    } else io.out(yaml.trimEnd());
    return 0;
  }
  const body = await readFile(args.file!, 'utf8');
  const post = (path: string) =>
    call(path, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body });
  if (command === 'validate') {
    const res = await post('/api/v1/config/validate');
    if (!res.ok) return failed(io, res.status, await res.text());
    const r = (await res.json()) as { valid: boolean; errors: Issue[]; warnings: Issue[] };
    for (const w of r.warnings) io.err(`warning: ${w.path}: ${w.message}`);
    for (const e of r.errors) io.err(`error: ${e.path}: ${e.message}`);
    io.out(r.valid ? `${args.file} is valid` : `${args.file} is invalid (${r.errors.length} error(s))`);
    return r.valid ? 0 : 1;
  }
  const query = [args.dryRun ? 'dryRun=true' : '', args.force ? 'force=true' : ''].filter(Boolean).join('&');
  const res = await post(`/api/v1/config/apply${query ? `?${query}` : ''}`);
  const text = await res.text();
  if (!res.ok && res.status !== 409) return failed(io, res.status, text);
  const r = JSON.parse(text) as ApplyBody;
  if (!('changes' in r)) return failed(io, res.status, text);
  printChanges(r, io);
  return r.success ? 0 : 1;
}

interface Issue {
  readonly path: string;
  readonly message: string;
}
interface ApplyBody {
  readonly success: boolean;
  readonly dryRun: boolean;
  readonly changes: { action: string; resourceType: string; resourceName: string; changes?: string[] }[];
  readonly summary: Record<'created' | 'updated' | 'unchanged', Record<string, number>>;
  readonly errors: string[];
  readonly warnings: string[];
  readonly notWritten?: { resourceType: string; resourceName: string }[];
}

const MARK: Record<string, string> = { create: '+', update: '~', unchanged: '=' };

function printChanges(r: ApplyBody, io: CliIo): void {
  for (const w of r.warnings) io.err(`warning: ${w}`);
  for (const c of r.changes) {
    const fields = c.changes?.length ? ` (${c.changes.join(', ')})` : '';
    io.out(`${MARK[c.action] ?? '?'} ${c.action.padEnd(9)} ${c.resourceType} ${c.resourceName}${fields}`);
  }
  for (const n of r.notWritten ?? []) io.out(`! not written ${n.resourceType} ${n.resourceName}`);
  for (const e of r.errors) io.err(`error: ${e}`);
  const total = (k: 'created' | 'updated' | 'unchanged') =>
    Object.values(r.summary[k]).reduce((a, b) => a + b, 0);
  const verb = r.dryRun ? 'would be ' : '';
  io.out(
    `${r.dryRun ? 'dry run: ' : ''}${total('created')} ${verb}created, ${total('updated')} ${verb}updated, ${total('unchanged')} unchanged` +
      (r.success ? '' : ' — the apply stopped; apply again to finish'),
  );
}

/** A problem+json (or other) failure: its detail and per-field errors. */
function failed(io: CliIo, status: number, text: string): number {
  try {
    const p = JSON.parse(text) as {
      detail?: string;
      title?: string;
      errors?: { field: string; message: string }[];
    };
    io.err(`error (${status}): ${p.detail ?? p.title ?? text}`);
    for (const e of p.errors ?? []) io.err(`  ${e.field}: ${e.message}`);
  } catch {
    io.err(`error (${status}): ${text.slice(0, 500)}`);
  }
  return 1;
}
