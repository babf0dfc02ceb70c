/**
 * Passthrough mode (reference §7.1): the messages go as given to the provider serving the model,
 * through the Llm port; no chat, no tools. Deltas map one to one onto chunks. A provider failure
 * before anything was streamed is a 502 problem; after, the stream's error line.
 */
import type { Response } from 'express';
import { isAbortError, LlmError, type Llm, type LlmDelta, type LlmEndpoint } from '../../runtime/llm/llm.js';
import { ValidationError } from '../../errors.js';
import { HttpProblem } from '../problem.js';
import { chunkStream } from './chunk-stream.js';
import type { ProviderTarget } from './models.js';
import type { CompletionRequest } from './request.js';
import { chunk, completion, completionHead, usageChunk } from './wire.js';

export async function passthroughCompletion(
  llm: Llm,
  endpoint: LlmEndpoint,
  res: Response,
  target: ProviderTarget,
  body: CompletionRequest,
): Promise<void> {
  const head = completionHead(target.model);
  const withParts = body.messages.findIndex((m) => m.userParts);
  if (withParts >= 0)
    throw new ValidationError(
      `messages.${withParts}.content: passthrough mode takes text parts only (agent mode takes images, audio and files)`,
      `messages.${withParts}.content`,
    );
  const request = {
    model: target.model,
    messages: body.messages,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.maxTokens !== undefined ? { max_tokens: body.maxTokens } : {}),
  };
  const abort = new AbortController();
  res.on('close', () => res.writableFinished || abort.abort());
  const out = body.stream ? chunkStream(res) : undefined;
  const opening = () => out && !out.opened && out.send(chunk(head, { role: 'assistant' }));
  try {
    const r = await llm.complete(
      endpoint,
      request,
      (d) => {
        opening();
        out?.send(chunk(head, deltaOf(d)));
      },
      { signal: abort.signal },
    );
    const finishReason = r.finishReason === 'unknown' ? 'stop' : r.finishReason;
    if (!out) return void res.json(completion(head, { ...r, finishReason }));
    opening();
    out.send(chunk(head, {}, finishReason));
    if (body.includeUsage) out.send(usageChunk(head, r.usage));
    out.done();
  } catch (err) {
    if (abort.signal.aborted && isAbortError(err)) return; // the client went away
    if (!out?.opened) throw providerProblem(err);
    out.fail(err instanceof LlmError ? err.message : 'an unexpected error occurred', 'provider_failed');
    if (!(err instanceof LlmError)) throw err;
  }
}

function providerProblem(err: unknown): unknown {
  if (!(err instanceof LlmError)) return err;
  return new HttpProblem({
    title: 'The model failed',
    status: 502,
    detail: err.message,
    code: 'provider_failed',
  });
}

function deltaOf(d: LlmDelta): Record<string, unknown> {
  switch (d.type) {
    case 'content':
      return { content: d.text };
    case 'tool_call':
      return {
        tool_calls: [
          {
            index: d.index,
            ...(d.id ? { id: d.id, type: 'function' } : {}),
            function: { ...(d.name ? { name: d.name } : {}), arguments: d.argumentsDelta ?? '' },
          },
        ],
      };
    default: {
      const unreachable: never = d;
      return unreachable;
    }
  }
}
