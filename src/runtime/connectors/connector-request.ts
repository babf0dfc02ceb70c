/**
 * How one operation call becomes an HTTP request (reference §5.2): the URL is the base URL without
 * its trailing `/` followed by the path rendered with the arguments (URL-encoded, by the platform's
 * one Jinja engine); arguments the path names are left out of the rest, which becomes the JSON body
 * or the query string by the operation's mapping; the connector's static headers come first.
 */
import { ValidationError } from '../../errors.js';
import { renderTemplate } from '../turns/templates.js';
import type { ConnectorOperation, ConnectorSpec } from './connector-spec.js';

export interface BuiltRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** the variables a path template names: `{{ id }}`, `{{ id | lower }}`, `{% if x %}` … */
export function pathVariables(path: string): Set<string> {
  const names = new Set<string>();
  for (const block of path.matchAll(/\{[{%]([\s\S]*?)[}%]\}/g))
    for (const word of block[1]!.matchAll(/(?<![.\w|'"])([A-Za-z_]\w*)/g)) names.add(word[1]!);
  return names;
}

/** RFC 3986 component encoding (encodeURIComponent leaves !'()* alone; the Jinja engine would escape `'`). */
export function encodeSegment(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function buildRequest(
  connector: ConnectorSpec,
  op: ConnectorOperation,
  args: Readonly<Record<string, unknown>>,
): BuiltRequest {
  const inPath = pathVariables(op.path);
  const encoded = Object.fromEntries(
    Object.entries(args)
      .filter(([k]) => inPath.has(k))
      .map(([k, v]) => [k, encodeSegment(v)]),
  );
  let path: string;
  try {
    path = renderTemplate(op.path, encoded);
  } catch (err) {
    throw new ValidationError(`the path could not be rendered: ${(err as Error).message}`, 'parameters');
  }
  let url: URL;
  try {
    url = new URL(connector.base_url.replace(/\/+$/, '') + path);
  } catch {
    throw new ValidationError('the operation does not make a valid URL', 'path');
  }
  const rest = Object.fromEntries(Object.entries(args).filter(([k]) => !inPath.has(k)));
  const headers: Record<string, string> = { ...connector.headers };
  const mapping = op.request_body_mapping;
  switch (mapping) {
    case 'query':
    case 'path_and_query':
      appendQuery(url, rest);
      return { method: op.method, url, headers };
    case 'json':
    case 'path_and_json': {
      const hasBody = Object.keys(rest).length > 0 || !['GET', 'DELETE'].includes(op.method);
      if (!hasBody) return { method: op.method, url, headers };
      return {
        method: op.method,
        url,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(rest),
      };
    }
    default: {
      const unreachable: never = mapping;
      return unreachable;
    }
  }
}

/** scalars as text, lists as repeated keys, objects as JSON; null and undefined left out */
function appendQuery(url: URL, values: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(values)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item === null || item === undefined) continue;
      url.searchParams.append(k, typeof item === 'object' ? JSON.stringify(item) : String(item));
    }
  }
}
