/**
 * The stream format OpenAI clients parse: bare `data: <json>` lines, no `event:` names (the `openai`
 * client would try to parse a `ping` event's empty data as JSON), heartbeats as SSE comments, and
 * `data: [DONE]` at the end. A failure after the stream has started is one OpenAI-style
 * `data: {"error": {...}}` line, which the `openai` client raises as an APIError, and then the end
 * (no `[DONE]`, so a raw reader also sees that the answer is incomplete).
 *
 * The response opens on the first write: until then an error can still become an HTTP status.
 */
import type { Response } from 'express';

export interface ChunkStream {
  /** true once the status and headers are sent */
  readonly opened: boolean;
  send(data: unknown): void;
  /** `data: [DONE]`, then the end */
  done(): void;
  /** the error line, then the end */
  fail(message: string, code: string): void;
  /** resolves when the client goes away or the stream ends */
  readonly closed: Promise<void>;
}

export function chunkStream(res: Response, heartbeatMs = 15_000): ChunkStream {
  let opened = false;
  let ended = false;
  let lastWrite = Date.now();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    if (ended) return;
    ended = true;
    if (timer) clearInterval(timer);
    resolveClosed();
  };
  res.on('close', finish);
  const write = (text: string) => {
    if (ended) return;
    if (!opened) open();
    res.write(text);
    lastWrite = Date.now();
  };
  const open = () => {
    opened = true;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    timer = setInterval(
      () => Date.now() - lastWrite >= heartbeatMs && write(': keep-alive\n\n'),
      Math.min(heartbeatMs, 5000),
    );
  };
  const end = () => {
    if (ended) return;
    finish();
    res.end();
  };
  return {
    get opened() {
      return opened;
    },
    send: (data) => write(`data: ${JSON.stringify(data)}\n\n`),
    done() {
      write('data: [DONE]\n\n');
      end();
    },
    fail(message, code) {
      write(`data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code } })}\n\n`);
      end();
    },
    closed,
  };
}
