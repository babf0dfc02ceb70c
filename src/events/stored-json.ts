/**
 * The data of a recorded event as the JSON text the store returned, when an adapter read it so.
 * Writers of that JSON (the SSE stream) use it instead of serialising the parsed data again. An
 * adapter's event class carries it as an accessor on its prototype, so a copy of the event
 * ({ ...e, data }) never carries stale text.
 */
export function storedJson(e: object): string | undefined {
  const stored = (e as { storedData?: unknown }).storedData;
  return typeof stored === 'string' ? stored : undefined;
}
