/**
 * What each file tool does for a chat's user (reference §5.8 "LLM file tools"), on the file
 * service: search (words in names and metadata, then a regex over text), get (numbered lines or a
 * link), write (a new version or a new shared file), edit (old text exactly once, unless
 * replace_all), delete. Results are the reference's shapes.
 */
import type { CollectionRules } from '../../commands/collection/collection-kind.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { FileRow } from '../../projections/file-queries.js';
import { compilePattern, isText, metadataMatches } from './file-search.js';
import type { Caller, FileService } from './file-service.js';
import type { FileUrls } from './file-urls.js';

type Args = Readonly<Record<string, unknown>>;

export interface FileToolPorts {
  readonly files: FileService;
  readonly urls: FileUrls;
}

export async function searchTool(p: FileToolPorts, rules: CollectionRules, args: Args, who: Caller) {
  const filter = (args.metadata_filter ?? {}) as Record<string, unknown>;
  const candidates = (await p.files.list(rules, { ...who, all: false }))
    .map((f) => f.file)
    .filter((f) => metadataMatches(f.file_metadata, filter))
    .slice(0, 50);
  const query = typeof args.query === 'string' && args.query.trim() !== '' ? args.query : undefined;
  let found = candidates;
  if (query) {
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    found = candidates.filter((f) => terms.some((t) => wordsOf(f).includes(t)));
    if (found.length === 0) found = await byRegex(p, candidates, query);
  }
  const files = found.map((f) => ({
    filename: f.name,
    content_type: f.content_type,
    version: f.current_version,
    metadata: f.file_metadata,
    visibility: f.visibility,
  }));
  return { files, count: files.length };
}

/** the file name (separators as spaces) and the flattened metadata values, lower case */
const wordsOf = (f: FileRow) =>
  `${f.name.replace(/[._-]+/g, ' ')} ${JSON.stringify(Object.values(f.file_metadata))}`.toLowerCase();

async function byRegex(p: FileToolPorts, files: readonly FileRow[], query: string): Promise<FileRow[]> {
  const matches = compilePattern(query);
  const out: FileRow[] = [];
  for (const f of files) {
    if (!isText(f.content_type)) continue;
    const v = await p.files.versionOf(f.id, f.current_version);
    const text = await p.files.text(v);
    if (text !== undefined && text.split(/\r?\n/).some(matches)) out.push(f);
  }
  return out;
}

export async function getTool(p: FileToolPorts, rules: CollectionRules, args: Args, who: Caller) {
  const { file, version: v } = await p.files.open(rules, String(args.filename), who);
  const head = {
    filename: file.name,
    content_type: v.content_type,
    version: v.version_number,
    metadata: file.file_metadata,
    size_bytes: Number(v.size_bytes),
  };
  const text = isText(v.content_type) ? await p.files.text(v) : undefined;
  if (text === undefined) {
    const signed = await p.urls.sign({ fileId: file.id, version: v.version_number }, 3600);
    return { ...head, url: signed.url };
  }
  const lines = text.split(/\r?\n/);
  const sliced = args.offset !== undefined || args.limit !== undefined;
  const start = Math.max(1, Number(args.offset ?? 1));
  const end = Math.min(
    lines.length,
    args.limit !== undefined ? start + Number(args.limit) - 1 : lines.length,
  );
  const numbered = lines
    .slice(start - 1, end)
    .map((l, i) => `${String(start + i).padStart(6)}\t${l}`)
    .join('\n');
  return {
    ...head,
    content: numbered,
    total_lines: lines.length,
    ...(sliced ? { line_range: [start, end] } : {}),
  };
}

export async function writeTool(p: FileToolPorts, rules: CollectionRules, args: Args, who: Caller) {
  const filename = String(args.filename);
  const existing = await p.files
    .open(rules, filename, who)
    .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err))); // absent: a new file
  const s = await p.files.upload(
    {
      namespace: rules.namespace,
      collection: rules.name,
      name: filename,
      contentType: existing?.version.content_type ?? contentTypeOf(filename),
      visibility: 'shared',
      metadata: existing?.file.file_metadata ?? {},
      updateExisting: true,
    },
    [Buffer.from(String(args.content), 'utf8')],
    who,
  );
  return {
    filename: s.file.name,
    version: s.file.current_version,
    size_bytes: Number(s.version.size_bytes),
    created: s.created,
  };
}

export async function editTool(p: FileToolPorts, rules: CollectionRules, args: Args, who: Caller) {
  const { version: v } = await p.files.open(rules, String(args.filename), who);
  if (!isText(v.content_type))
    throw new ValidationError(`'${String(args.filename)}' is not a text file`, 'filename');
  const text = await p.files.text(v);
  if (text === undefined) throw new ValidationError('the file is too large to edit', 'filename');
  const oldText = String(args.old_string);
  const count = oldText === '' ? 0 : text.split(oldText).length - 1;
  if (count === 0) throw new ValidationError('old_string was not found in the file', 'old_string');
  if (count > 1 && args.replace_all !== true)
    throw new ValidationError(
      `old_string occurs ${count} times in the file: it must occur exactly once (add context to it), or set replace_all`,
      'old_string',
    );
  const edited = text.split(oldText).join(String(args.new_string));
  return writeTool(p, rules, { filename: args.filename, content: edited }, who);
}

export async function deleteTool(p: FileToolPorts, rules: CollectionRules, args: Args, who: Caller) {
  await p.files.remove(rules, String(args.filename), who);
  return { filename: String(args.filename), deleted: true };
}

const TYPES: Readonly<Record<string, string>> = {
  json: 'application/json',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  py: 'text/x-python',
  js: 'application/javascript',
  sql: 'application/sql',
};

/** a new file's type from its extension; text/plain when unknown (the tools write text) */
export const contentTypeOf = (filename: string) =>
  TYPES[filename.split('.').pop()?.toLowerCase() ?? ''] ?? 'text/plain';
