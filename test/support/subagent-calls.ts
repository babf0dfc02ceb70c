/**
 * How a test asks the development model for a sub-agent call: `call <tool> {"prompt": …}`, with the
 * prompt's braces escaped so that calls nest in prompts (a sub-agent's prompt asking for its own call).
 */
/** `call <tool> {"prompt": …}` with the prompt's braces escaped, so prompts nest in prompts */
export const callText = (tool: string, prompt: string, extra: Record<string, unknown> = {}) => {
  const rest = Object.entries(extra)
    .map(([k, v]) => `, ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join('');
  const escaped = JSON.stringify(prompt).replace(/{/g, '\\u007b').replace(/}/g, '\\u007d');
  return `call ${tool} {"prompt": ${escaped}${rest}}`;
};
