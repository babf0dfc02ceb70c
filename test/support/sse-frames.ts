/** SSE text as the tests read it: frames with their event name, id and data, pings left out. */
export interface Frame {
  event: string;
  id: string;
  data: string;
}

export function parseSse(text: string): Frame[] {
  return text
    .split('\n\n')
    .map((block) => {
      const f: Frame = { event: 'message', id: '', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) f.event = line.slice(7);
        else if (line.startsWith('id: ')) f.id = line.slice(4);
        else if (line.startsWith('data: ')) f.data += line.slice(6);
      }
      return block.trim() && !block.startsWith('retry:') ? f : undefined;
    })
    .filter((f): f is Frame => f !== undefined && f.event !== 'ping');
}
