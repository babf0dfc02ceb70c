/**
 * Searching a collection's text with a user's regex (reference §5.8), on RE2's linear-time engine
 * (`re2js`): no pattern can make the server backtrack for ever, `(a+)+$` on 100k `a`s included.
 * A pattern RE2 cannot compile (backreferences, lookaround, bad syntax) is a 400 naming `query`.
 */
import { RE2JS } from 're2js';
import { ValidationError } from '../../errors.js';
import type { FileRow, VersionRow } from '../../projections/file-queries.js';

export interface LineMatch {
  readonly line: number;
  readonly text: string;
  /** up to 2 lines before and after */
  readonly context: readonly string[];
}

export type Matcher = (line: string) => boolean;

export function compilePattern(query: string, field = 'query'): Matcher {
  let re: RE2JS;
  try {
    re = RE2JS.compile(query, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    throw new ValidationError(`${field} is not a valid regular expression: ${(err as Error).message}`, field);
  }
  return (line) => re.matcher(line).find();
}

/** the matching lines of `text`, numbered from 1, each with 2 lines of context each side */
export function matchLines(text: string, matches: Matcher, max = 100): LineMatch[] {
  const lines = text.split(/\r?\n/);
  const out: LineMatch[] = [];
  for (let i = 0; i < lines.length && out.length < max; i++) {
    if (!matches(lines[i]!)) continue;
    const context = [...lines.slice(Math.max(0, i - 2), i), ...lines.slice(i + 1, i + 3)];
    out.push({ line: i + 1, text: lines[i]!, context });
  }
  return out;
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|yaml|x-yaml|javascript|x-python|x-sh|sql|x-sql|toml|csv)|[^;]*\+(json|xml))/i;

/** whether the content type is text (searched, shown with line numbers, editable) */
export const isText = (contentType: string) => TEXT_TYPES.test(contentType);

/** metadata equality, values compared as strings */
export function metadataMatches(
  metadata: Readonly<Record<string, unknown>>,
  filter: Readonly<Record<string, unknown>>,
): boolean {
  return Object.entries(filter).every(([k, v]) => k in metadata && asText(metadata[k]) === asText(v));
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export interface SearchRequest {
  readonly query?: string;
  readonly metadata_filter: Readonly<Record<string, unknown>>;
  readonly limit: number;
}

export interface SearchSource {
  list(): Promise<FileRow[]>;
  current(f: FileRow): Promise<VersionRow | undefined>;
  text(v: VersionRow): Promise<string | undefined>;
}

/** the visible files matching the metadata filter and, with a query, the text files whose lines match it */
export async function searchFiles(src: SearchSource, q: SearchRequest) {
  const matcher = q.query !== undefined ? compilePattern(q.query) : undefined;
  const out: { file_id: string; filename: string; version: number; matches: LineMatch[] }[] = [];
  for (const f of await src.list()) {
    if (out.length >= q.limit) break;
    if (!metadataMatches(f.file_metadata, q.metadata_filter)) continue;
    const hit = { file_id: f.id, filename: f.name, version: f.current_version };
    if (!matcher) {
      out.push({ ...hit, matches: [] });
      continue;
    }
    if (!isText(f.content_type)) continue;
    const v = await src.current(f);
    const text = v && (await src.text(v));
    const matches = text === undefined ? [] : matchLines(text, matcher);
    if (matches.length > 0) out.push({ ...hit, matches });
  }
  return out;
}
