/**
 * Where an OpenAPI import reads its document: the request's `spec` text, or `spec_url` fetched
 * through the outbound guard (a refused or failing URL is a 400 naming `spec_url`), and which of the
 * parsed operations it keeps (`operations`: names; none: all).
 */
import { ValidationError } from '../../errors.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import { outboundRequest } from '../outbound/outbound-request.js';
import { convertDocument, readDocument, type ParsedSpec } from './openapi-import.js';

export interface ImportRequest {
  readonly spec?: string;
  readonly spec_url?: string;
  readonly operations?: readonly string[];
  readonly apply?: boolean;
}

const FETCH_TIMEOUT_MS = 30_000;
const MAX_SPEC_BYTES = 10 * 1024 * 1024;

export async function parseImport(guard: OutboundGuard, req: ImportRequest): Promise<ParsedSpec> {
  if ((req.spec === undefined) === (req.spec_url === undefined))
    throw new ValidationError('give either spec or spec_url', req.spec === undefined ? 'spec' : 'spec_url');
  const url = req.spec_url !== undefined ? await guard.check(req.spec_url, 'spec_url') : undefined;
  const text = url ? await fetchSpec(guard, url) : req.spec!;
  const field = url ? 'spec_url' : 'spec';
  const parsed = await convertDocument(readDocument(text, field), url, field);
  if (!req.operations) return parsed;
  const wanted = new Set(req.operations);
  return { ...parsed, operations: parsed.operations.filter((o) => wanted.has(o.name)) };
}

async function fetchSpec(guard: OutboundGuard, url: URL): Promise<string> {
  try {
    const res = await outboundRequest(guard, url, {
      method: 'GET',
      headers: { accept: 'application/json, application/yaml, text/yaml, */*' },
      timeoutMs: FETCH_TIMEOUT_MS,
      maxResponseBytes: MAX_SPEC_BYTES + 1,
      field: 'spec_url',
    });
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new ValidationError(`spec_url answered HTTP ${res.statusCode}`, 'spec_url');
    if (res.body.length > MAX_SPEC_BYTES)
      throw new ValidationError(`the spec is larger than ${MAX_SPEC_BYTES} bytes`, 'spec_url');
    return res.body.toString('utf8');
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`spec_url could not be fetched: ${(err as Error).message}`, 'spec_url');
  }
}
