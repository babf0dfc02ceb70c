/**
 * A collection's `content_filter_function` (reference §5.8): before an upload becomes a file
 * version, the function runs as an execution of the uploader (trigger HOOK, id
 * `content_filter:<ns>/<coll>`, the execute policy checked as on every path) and decides on it.
 *
 * The bytes are already in the blob store under a fresh key, but not yet a version: no file event
 * names them. Execution events must stay small, so the input carries the bytes themselves
 * (`content_base64`) only for files up to FILTER_INLINE_BYTES (48 KiB, whose base64 fits the 64 KiB
 * a function's output may hold); every input carries `content_url`, a 10-minute signed link to the
 * pending bytes (`/files/serve/<jwt>`, purpose `file_pending`) for functions whose runtime has a
 * network. Its answer: `{approved, reason?, modified_content?, metadata?}`. Not approved is a 400
 * with the reason; `modified_content` (base64) replaces the bytes; `metadata` is merged over the
 * uploader's. A function that is missing, fails, times out, waits for input or answers in another
 * shape is a 502 naming it. The file service removes the pending bytes on every refusal.
 */
import type { ExecutionService, PresentExecution } from '../../commands/execution/execution-service.js';
import { decodedStop, isStopped } from '../../commands/execution/execution-service.js';
import type { CollectionRules } from '../../commands/collection/collection-kind.js';
import { ForbiddenError, NotFoundError, UpstreamError, ValidationError } from '../../errors.js';
import { asExecutionId, stableUuid, type ExecutionId } from '../../events/ids.js';
import type { FileUrls } from './file-urls.js';

/** the largest upload whose bytes go into the execution's input as base64 */
export const FILTER_INLINE_BYTES = 48 * 1024;
const LINK_SECONDS = 600;

export interface FilterRequest {
  readonly rules: CollectionRules;
  readonly namespace: string;
  readonly collection: string;
  readonly filename: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly blob: { readonly blobKey: string; readonly size: number; readonly sha256: string };
  /** the pending bytes (read only for a small file) */
  readonly read: () => Promise<Buffer>;
  readonly actor: string;
}

export interface FilterVerdict {
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `modified_content`: the bytes to store instead */
  readonly replacement?: Buffer;
}

export type ContentFilter = (r: FilterRequest) => Promise<FilterVerdict>;

export function contentFilter(executions: ExecutionService, urls: FileUrls): ContentFilter {
  return async (r) => {
    const ref = r.rules.contentFilterFunction!;
    const link = await urls.signPending(
      { blobKey: r.blob.blobKey, sha256: r.blob.sha256, size: r.blob.size, contentType: r.contentType },
      LINK_SECONDS,
    );
    const input = {
      content_base64: r.blob.size <= FILTER_INLINE_BYTES ? (await r.read()).toString('base64') : null,
      content_url: link.url,
      namespace: r.namespace,
      collection: r.collection,
      filename: r.filename,
      content_type: r.contentType,
      size_bytes: r.blob.size,
      user_metadata: r.metadata,
      user_id: r.actor,
    };
    const executionId = await requestFilter(executions, ref, input, r);
    return verdictOf(ref, await stopOf(executions, executionId, r.actor), r.metadata);
  };
}

async function requestFilter(
  executions: ExecutionService,
  ref: string,
  input: object,
  r: FilterRequest,
): Promise<ExecutionId> {
  const [namespace, name] = ref.split('/', 2) as [string, string];
  const executionId = asExecutionId(stableUuid(`content-filter/${r.blob.blobKey}`));
  try {
    await executions.request(
      { namespace, name },
      input,
      { type: 'HOOK', id: `content_filter:${r.namespace}/${r.collection}` },
      { userId: r.actor },
      { commandId: `content-filter-${executionId}`, executionId },
    );
  } catch (err) {
    if (err instanceof ForbiddenError)
      throw new ForbiddenError(`you may not run this collection's content_filter_function '${ref}'`);
    if (err instanceof NotFoundError || err instanceof ValidationError)
      throw new UpstreamError(`the content_filter_function '${ref}' could not run: ${err.message}`);
    throw err;
  }
  return executionId;
}

/** waits for the execution to stop; one paused for input() is cancelled (a filter cannot ask) */
async function stopOf(
  executions: ExecutionService,
  executionId: ExecutionId,
  actor: string,
): Promise<PresentExecution | undefined> {
  const loaded = await executions.load(executionId);
  let s: PresentExecution | undefined = loaded.state;
  if (!isStopped(s))
    s = await executions.waitForStop(executionId, loaded.revision, s.request.timeoutMs + 60_000);
  if (s?.status === 'AWAITING_INPUT')
    await executions.cancel(
      executionId,
      { userId: actor },
      { commandId: `content-filter-cancel-${executionId}` },
    );
  return s && decodedStop(s);
}

function verdictOf(
  ref: string,
  s: PresentExecution | undefined,
  metadata: Readonly<Record<string, unknown>>,
): FilterVerdict {
  const failed = (why: string) => new UpstreamError(`the content_filter_function '${ref}' ${why}`);
  if (!s) throw failed('did not finish');
  if (s.status === 'AWAITING_INPUT') throw failed('asked for input(), which a content filter cannot');
  if (s.status !== 'COMPLETED') throw failed(`failed: ${s.error ?? s.status.toLowerCase()}`);
  const out = s.output as Record<string, unknown> | null | undefined;
  if (!out || typeof out !== 'object' || Array.isArray(out) || typeof out.approved !== 'boolean')
    throw failed('returned no {approved: boolean}');
  if (!out.approved)
    throw new ValidationError(
      typeof out.reason === 'string' && out.reason ? out.reason : 'the content filter refused this file',
      'content',
    );
  const extra = out.metadata ?? {};
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
    throw failed('returned metadata that is not an object');
  const merged = { ...metadata, ...(extra as Record<string, unknown>) };
  if (out.modified_content === undefined || out.modified_content === null) return { metadata: merged };
  if (typeof out.modified_content !== 'string' || !isBase64(out.modified_content))
    throw failed('returned modified_content that is not base64');
  return { metadata: merged, replacement: Buffer.from(out.modified_content, 'base64') };
}

const isBase64 = (s: string) => {
  const clean = s.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]*={0,2}$/.test(clean) && clean.replace(/=+$/, '').length % 4 !== 1;
};
