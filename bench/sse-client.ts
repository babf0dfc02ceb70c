/** Reading Server-Sent Events incrementally: text in, whole frames out (comments, `retry:`, pings dropped). */

export interface SseFrame {
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

export class SseParser {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  /** Feeds a chunk (bytes or text); returns the frames it completed. */
  push(chunk: Uint8Array | string): SseFrame[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const end = this.buffer.lastIndexOf('\n\n');
    if (end < 0) return [];
    const blocks = this.buffer.slice(0, end).split('\n\n');
    this.buffer = this.buffer.slice(end + 2);
    const frames: SseFrame[] = [];
    for (const block of blocks) {
      let event = 'message';
      let id = '';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (/^(event|id|data): /m.test(block) && event !== 'ping')
        frames.push({ event, id, data: data.join('\n') });
    }
    return frames;
  }
}
