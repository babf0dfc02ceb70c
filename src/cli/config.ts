/**
 * `sinas apply -f file.yaml [--dry-run] [--force] [--yes]`, `sinas validate -f file.yaml`,
 * `sinas export [-o file] [--include-secrets] [--managed-only]`: declarative config over the API
 * (SINAS_URL, default http://127.0.0.1:8000; SINAS_API_KEY).
 * `apply` first asks the API for a dry run and prints it as a plan, like `terraform plan`
 * (`+` create, `~` update with the changed fields, `=` how many are unchanged); it then applies,
 * after asking when it runs in a terminal (`--yes` does not ask; without a terminal it never asks).
 * Exits 0 on success or when nothing needs applying, 1 when the config is invalid, refused or the
 * plan is declined, 2 on usage.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';

export interface CliIo {
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly fetch?: typeof fetch;
  /** asks the operator a yes/no question; absent: not interactive, apply without asking */
  readonly confirm?: (question: string) => Promise<boolean>;
}

export const CONFIG_USAGE =
  'usage: sinas apply -f file.yaml [--dry-run] [--force] [--yes] | sinas validate -f file.yaml | sinas export [-o file] [--include-secrets] [--managed-only]';

interface Args {
  readonly file?: string;
  readonly output?: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly yes: boolean;
  readonly includeSecrets: boolean;
  readonly managedOnly: boolean;
}

function parseArgs(argv: readonly string[]): Args | undefined {
  const a: { -readonly [K in keyof Args]: Args[K] } = {
    dryRun: false,
    force: false,
    yes: false,
    includeSecrets: false,
    managedOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if ((x === '-f' || x === '--file') && argv[i + 1]) a.file = argv[++i];
    else if ((x === '-o' || x === '--output') && argv[i + 1]) a.output = argv[++i];
    else if (x === '--dry-run') a.dryRun = true;
    else if (x === '--force') a.force = true;
    else if (x === '--yes' || x === '-y') a.yes = true;
    else if (x === '--include-secrets') a.includeSecrets = true;
    else if (x === '--managed-only') a.managedOnly = true;
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
    const q = [
      args.includeSecrets ? 'include_secrets=true' : '',
      args.managedOnly ? 'managed_only=true' : '',
    ].filter(Boolean);
    const res = await call(`/api/v1/config/export${q.length ? `?${q.join('&')}` : ''}`);
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
  const apply = async (dryRun: boolean): Promise<ApplyBody | number> => {
    const query = [dryRun ? 'dryRun=true' : '', args.force ? 'force=true' : ''].filter(Boolean).join('&');
    const res = await post(`/api/v1/config/apply${query ? `?${query}` : ''}`);
    const text = await res.text();
    if (!res.ok && res.status !== 409) return failed(io, res.status, text);
    const r = JSON.parse(text) as ApplyBody;
    return 'changes' in r ? r : failed(io, res.status, text);
  };
  const plan = await apply(true);
  if (typeof plan === 'number') return plan;
  printChanges(plan, io);
  if (args.dryRun) return plan.success ? 0 : 1;
  if (plan.changes.every((c) => c.action === 'unchanged')) {
    io.out('nothing to apply');
    return 0;
  }
  if (!args.yes && io.confirm && !(await io.confirm('apply these changes? [y/N] '))) {
    io.out('not applied');
    return 1;
  }
  const r = await apply(false);
  if (typeof r === 'number') return r;
  printOutcome(r, io);
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

/** The plan: each create and update on its own line, the unchanged ones as a count. */
function printChanges(r: ApplyBody, io: CliIo): void {
  for (const w of r.warnings) io.err(`warning: ${w}`);
  for (const c of r.changes) {
    if (c.action === 'unchanged') continue;
    const fields = c.changes?.length ? ` (${c.changes.join(', ')})` : '';
    io.out(`${MARK[c.action] ?? '?'} ${c.action.padEnd(9)} ${c.resourceType} ${c.resourceName}${fields}`);
  }
  const unchanged = r.changes.filter((c) => c.action === 'unchanged').length;
  if (unchanged) io.out(`= ${unchanged} unchanged`);
  printOutcome(r, io);
}

/** What was (or, for a dry run, would be) done, and what an apply that stopped did not write. */
function printOutcome(r: ApplyBody, io: CliIo): void {
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

/** Asks on the terminal; only `y` or `yes` is a yes. */
export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
