/**
 * The data of a recorded event as the JSON text the store returned, when an adapter read it so.
 * Writers of that JSON (the SSE stream) use it instead of serialising the parsed data again. Kept
 * beside the event, not on it, so a copy of the event ({ ...e, data }) never carries stale text.
 */
import type { RecordedEvent } from './event-store.js';

const texts = new WeakMap<RecordedEvent, string>();

export function storedJson(e: RecordedEvent): string | undefined {
  return texts.get(e);
}

export function rememberStoredJson(e: RecordedEvent, json: string): void {
  texts.set(e, json);
}
