/**
 * Component blocks read back (reference §5.9): a `show_component_…` call's result is stored as its
 * tool message's content, with a render token valid an hour. When a chat is read back, a block whose
 * token has less than ten minutes left gets a new one, so a front end showing an old chat can still
 * render it; the stored event is never rewritten.
 */
import type { RenderTokens } from './render-tokens.js';

/** `content` with its component block's render token renewed if due; anything else as it was */
export async function renewComponentBlock(
  content: unknown,
  tokens: Pick<RenderTokens, 'renewIfDue'>,
  now = Date.now(),
): Promise<unknown> {
  if (typeof content !== 'string' || !content.includes('"render_token"')) return content;
  let block: unknown;
  try {
    block = JSON.parse(content);
  } catch {
    return content; // a result cut for the model: no block to renew
  }
  if (typeof block !== 'object' || block === null) return content;
  const b = block as { type?: unknown; render_token?: unknown };
  if (b.type !== 'component' || typeof b.render_token !== 'string') return content;
  const renewed = await tokens.renewIfDue(b.render_token, now);
  return renewed === b.render_token ? content : JSON.stringify({ ...b, render_token: renewed });
}
